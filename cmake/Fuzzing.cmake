# -DCORRAL_FUZZ=ON: every library is compiled with libFuzzer's coverage
# instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer, for the
# fuzz targets under fuzz/. Needs clang (CC=clang CXX=clang++); the Debian
# libraries Corral links (Abseil, protobuf, gRPC, yaml-cpp) stay as built
# by gcc.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "CORRAL_FUZZ needs clang: configure with CC=clang CXX=clang++")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -gline-tables-only)
add_link_options(-fsanitize=address,undefined)
