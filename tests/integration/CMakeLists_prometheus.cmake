# The exporters' end-to-end test (prometheus_exporters.test.js): `dagprof
# serve` with jsonl, prometheus and webhook exporters and alert rules, a real
# Prometheus server (Debian's `prometheus` package) scraping /metrics and
# `promtool check metrics`. Included from tests/integration/CMakeLists.txt.
# A missing node, prometheus or promtool fails the test (never a skip).
find_program(DP_NODE node)
set(dp_prom_test ${CMAKE_CURRENT_LIST_DIR}/prometheus_exporters.test.js)
if(DP_NODE)
  add_test(NAME integration_prometheus_exporters
    COMMAND ${DP_NODE} --test ${dp_prom_test}
    WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
else()
  add_test(NAME integration_prometheus_exporters
    COMMAND sh -c "echo 'node (Node.js 20) not found: run scripts/setup.sh' >&2; exit 1")
endif()
set_tests_properties(integration_prometheus_exporters PROPERTIES
  TIMEOUT 180
  LABELS integration
  ENVIRONMENT "DAGPROF_BIN=$<TARGET_FILE:dagprof>")
