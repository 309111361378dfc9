# -DCORRAL_SANITIZE=ON: every target of the project (libraries, tests, the
# corral, corral-agent and corral-server binaries the integration tests
# start) is built with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (plus float-cast-overflow: a double converted to
# an integer type it does not fit is undefined, and GCC's `undefined` group
# leaves it out); undefined behaviour aborts instead of being reported and
# ignored. Executables then link shared libraries, and test
# timeouts are multiplied by CORRAL_SANITIZE_TIMEOUT_SCALE, since sanitized
# code runs 2-3x slower. `make test-sanitize` builds and runs it.
option(CORRAL_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
set(CORRAL_SANITIZE_TIMEOUT_SCALE 3 CACHE STRING "Test timeout multiplier under CORRAL_SANITIZE")
if(CORRAL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined,float-cast-overflow)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
  add_compile_definitions(CORRAL_SANITIZE=1)
endif()

# corral_library(NAME name SRCS ... DEPS ...)
#   A static library whose headers are included as "part/file.h" from the
#   project root.
function(corral_library)
  cmake_parse_arguments(CL "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${CL_NAME} STATIC ${CL_SRCS})
  target_include_directories(${CL_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${CL_NAME} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  target_link_libraries(${CL_NAME} PUBLIC ${CL_DEPS})
endfunction()

# corral_test(NAME name SRCS ... DEPS ... [LABELS ...] [TIMEOUT seconds]
#             [PROPERTIES ctest-property value ...])
#   A GoogleTest binary registered with CTest, one CTest entry per TEST().
#   PROPERTIES are added to every entry (FIXTURES_REQUIRED, RUN_SERIAL, ...).
function(corral_test)
  cmake_parse_arguments(CT "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS;PROPERTIES" ${ARGN})
  if(NOT CT_LABELS)
    set(CT_LABELS unit)
  endif()
  if(NOT CT_TIMEOUT)
    set(CT_TIMEOUT 60)
  endif()
  if(CORRAL_SANITIZE)
    math(EXPR CT_TIMEOUT "${CT_TIMEOUT} * ${CORRAL_SANITIZE_TIMEOUT_SCALE}")
  endif()
  add_executable(${CT_NAME} ${CT_SRCS})
  set_target_properties(${CT_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  target_compile_options(${CT_NAME} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  target_link_libraries(${CT_NAME} PRIVATE ${CT_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${CT_NAME} PRIVATE
    CORRAL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CORRAL_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
  gtest_discover_tests(${CT_NAME}
    DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    PROPERTIES LABELS "${CT_LABELS}" TIMEOUT ${CT_TIMEOUT} ${CT_PROPERTIES})
endfunction()

include(GoogleTest)

# corral_static_executable(NAME name SRCS ... LIBS our-libraries... [SYSTEM_LIBS targets...])
#   Links `name` against our libraries' archives and the static archives of
#   gRPC, protobuf and Abseil that Debian ships (libc stays shared). Falls
#   back to ordinary shared linking when an archive is missing,
#   CORRAL_STATIC_LINK is off or CORRAL_SANITIZE is on. Static binaries
#   start in ~4 ms instead of ~19 and map a few MB less memory than ~60
#   shared libraries.
option(CORRAL_STATIC_LINK "Link corral and corral-agent against static gRPC, protobuf and Abseil" ON)
function(corral_static_executable)
  cmake_parse_arguments(CS "" "NAME" "SRCS;LIBS;SYSTEM_LIBS" ${ARGN})
  add_executable(${CS_NAME} ${CS_SRCS})
  set(static_ok ${CORRAL_STATIC_LINK})
  if(CORRAL_SANITIZE)
    set(static_ok OFF)
  endif()
  set(archives)
  if(static_ok)
    foreach(lib grpc++ grpc protobuf upb gpr address_sorting re2 cares ssl crypto z)
      find_library(corral_static_${lib} NAMES lib${lib}.a)
      if(NOT corral_static_${lib})
        message(STATUS "${CS_NAME}: lib${lib}.a not found; linking against shared libraries")
        set(static_ok OFF)
      endif()
      list(APPEND archives ${corral_static_${lib}})
    endforeach()
  endif()
  if(static_ok)
    get_filename_component(archive_dir "${corral_static_grpc}" DIRECTORY)
    file(GLOB absl_archives "${archive_dir}/libabsl_*.a")
    if(NOT absl_archives)
      set(static_ok OFF)
    endif()
  endif()
  if(NOT static_ok)
    target_link_libraries(${CS_NAME} PRIVATE ${CS_LIBS} ${CS_SYSTEM_LIBS})
    return()
  endif()
  target_include_directories(${CS_NAME} PRIVATE ${PROJECT_SOURCE_DIR}
                             $<TARGET_PROPERTY:corral_proto,INTERFACE_INCLUDE_DIRECTORIES>)
  add_dependencies(${CS_NAME} ${CS_LIBS})
  set(ours)
  foreach(lib ${CS_LIBS})
    list(APPEND ours $<TARGET_FILE:${lib}>)
  endforeach()
  target_link_libraries(${CS_NAME} PRIVATE ${ours}
    -Wl,--start-group ${archives} ${absl_archives} -Wl,--end-group
    ${CS_SYSTEM_LIBS} spdlog::spdlog Threads::Threads ${CMAKE_DL_LIBS})
endfunction()
