# The pictures (link heatmaps, `hecaton plot` charts, one drawn as the paper
# jobs draw theirs) rendered by headless Chromium and checked not blank, their
# titles, axis labels, legends and colour scales present; the Chrome traces of
# 2x2 and 2x3 runs (and of a report read back) through tests/tools/trace_check.py.
# Installs Debian's chromium when missing; where it cannot, the rendering is
# SKIPPED (said so) and the other checks still run. Included by
# tests/CMakeLists.txt after cli/tests.cmake (HC_BIN, HC_CORPUS, HC_TEST_ENV).
add_test(NAME cli.pictures_render_and_trace
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/pictures.sh ${HC_BIN} ${HC_CORPUS}
                 ${CMAKE_CURRENT_BINARY_DIR}/pictures ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.pictures_render_and_trace PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     TIMEOUT 900 FIXTURES_REQUIRED corpus WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
