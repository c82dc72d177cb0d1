# The task headers must not pull in the fibre machinery: preprocesses a file that includes
# only <tide/core/task.hpp>, <tide/core/loop.hpp> and <tide/io/ops.hpp> and fails if Boost
# Context's fcontext.hpp or <cxxabi.h> appears in the result.
# Run: cmake -DCXX=<compiler> -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -P check_task_headers.cmake
cmake_minimum_required(VERSION 3.25)
set(probe "${WORK_DIR}/task_headers_probe.cpp")
file(WRITE "${probe}" "#include <tide/core/task.hpp>\n#include <tide/core/loop.hpp>\n#include <tide/io/ops.hpp>\n")
execute_process(
  COMMAND "${CXX}" -std=c++20 -E -I "${SOURCE_DIR}/core/include" -I "${SOURCE_DIR}/io/include"
          "${probe}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "preprocessing the task headers failed:\n${err}")
endif()
foreach(forbidden IN ITEMS "fcontext.hpp" "cxxabi.h")
  string(FIND "${out}" "${forbidden}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "the task headers pull in ${forbidden} (the fibre machinery)")
  endif()
endforeach()
message(STATUS "task headers: no fcontext.hpp, no cxxabi.h")
