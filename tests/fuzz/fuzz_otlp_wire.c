/*
 * fuzz_otlp_wire.c - libFuzzer target comparing the one-pass decoder
 * (dp_otlp_wire_decode) with the reference (dp_ref_otlp_proto_decode) on any
 * input: same code, same spans with every field, same attributes in order
 * (all of them, and the wanted ones), same messages and counts, and every
 * view of the fast decoder inside the input (otlp_wire_diff.h). Aborts on
 * the first difference, printing both sides.
 *
 * Built only with clang and -DDP_FUZZ=ON (see bench/CMakeLists.txt):
 *   CC=clang cmake -S . -B build-fuzz -DDP_FUZZ=ON -DDP_SANITIZE=ON
 *   cmake --build build-fuzz --target fuzz_otlp_wire
 *   ./build-fuzz/bench/fuzz_otlp_wire -max_total_time=60 -max_len=4096
 */
#include <stdlib.h>

#include "otlp_wire_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!wd_same(data, size, true))
        abort();
    return 0;
}
