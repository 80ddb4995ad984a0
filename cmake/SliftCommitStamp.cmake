# The git commit, stamped at build time (provenance of every output): a rebuild after a commit
# stamps the new commit, an unchanged tree recompiles nothing.
#
# slift_stamp_commit(TARGET TEMPLATE): compiles TEMPLATE (a .cpp.in naming @SLIFT_GIT_COMMIT@ and
# @PROJECT_VERSION@) into TARGET, written anew by every build of TARGET, touched only when its
# text changes.
if(CMAKE_SCRIPT_MODE_FILE)  # the build step: cmake -DSOURCE_DIR= -DIN= -DOUT= -DPROJECT_VERSION= -P this file
  execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE SLIFT_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT SLIFT_GIT_COMMIT)
    set(SLIFT_GIT_COMMIT "unknown")  # a source tree without git (an archive)
  endif()
  configure_file(${IN} ${OUT} @ONLY)
  return()
endif()

function(slift_stamp_commit target template)
  get_filename_component(name ${template} NAME_WLE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  add_custom_target(${target}_commit_stamp
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DIN=${CMAKE_CURRENT_SOURCE_DIR}/${template}
            -DOUT=${out} -DPROJECT_VERSION=${PROJECT_VERSION} -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
    BYPRODUCTS ${out} VERBATIM)
  target_sources(${target} PRIVATE ${out})
  add_dependencies(${target} ${target}_commit_stamp)
endfunction()
