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

# corral_test(NAME name SRCS ... DEPS ... [LABELS ...] [TIMEOUT seconds])
#   A GoogleTest binary registered with CTest, one CTest entry per TEST().
function(corral_test)
  cmake_parse_arguments(CT "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT CT_LABELS)
    set(CT_LABELS unit)
  endif()
  if(NOT CT_TIMEOUT)
    set(CT_TIMEOUT 60)
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
    PROPERTIES LABELS "${CT_LABELS}" TIMEOUT ${CT_TIMEOUT})
endfunction()

include(GoogleTest)
