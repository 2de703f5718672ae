/*
 * json_scan_texts.h - hand-picked texts for test_otlp_json_scan.c: corners
 * of JSON (numbers, escapes, surrogates, invalid UTF-8, NUL bytes jansson
 * drops, truncation, error context longer than 20 bytes) and of requests
 * (null, camelCase and snake_case twins, duplicate keys, shapes, bad
 * resources, escaped numbers, C-string comparisons) where the scanner and
 * the jansson decoder could drift apart. Included by one test file.
 */
#ifndef DP_TEST_JSON_SCAN_TEXTS_H
#define DP_TEST_JSON_SCAN_TEXTS_H

#define TT_SPAN                                                                \
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":"            \
    "\"0102030405060708\""
#define TT_REQ(x) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" x "]}]}]}"
/* Corners of JSON text and of requests where two decoders could drift
 * apart (compared by test_otlp_json_scan_tricky_texts_agree). */
static const char *const tricky_texts[] = {
    "",
    " ",
    "{",
    "[",
    "{}",
    "[]",
    "[{}]",
    "{} x",
    "{}{}",
    "null",
    "1",
    "\"x\"",
    "{\"a\":1}",
    "{\"a\" 1}",
    "{\"a\":}",
    "{\"a\":1,}",
    "[1,]",
    "{,}",
    "[,1]",
    "{\"a\":01}",
    "{\"a\":-}",
    "{\"a\":1.}",
    "{\"a\":1e}",
    "{\"a\":1e+}",
    "{\"a\":.5}",
    "{\"a\":-0}",
    "{\"a\":1E5}",
    "{\"a\":9223372036854775807}",
    "{\"a\":9223372036854775808}",
    "{\"a\":-9223372036854775809}",
    "{\"a\":1e400}",
    "{\"a\":-1e400}",
    "{\"a\":1e-400}",
    "{\"a\":tru}",
    "{\"a\":truex}",
    "{\"a\":nul}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12\"}",
    "{\"a\":\"\\u12g4\"}",
    "{\"a\":\"\\uD800\"}",
    "{\"a\":\"\\uDC00\"}",
    "{\"a\":\"\\uD800\\u0041\"}",
    "{\"a\":\"\\uD800\\\\u0041\"}",
    "{\"a\":\"\\uD83D\\uDE00\"}",
    "{\"a\":\"\\uD800\\uD800\\uDC00\"}",
    "{\"a\":\"a\nb\"}",
    "{\"a\":\"a\tb\"}",
    "{\"a\":\"\\u0000\"}",
    "{\"\\u0000\":1}",
    "{\"a\\u0000b\":1}",
    "{\"a\":\"\xc3\"}",
    "{\"a\":\"\xc3(\"}",
    "{\"a\":\"\xed\xa0\x80\"}",
    "{\"a\":\"\xf4\x90\x80\x80\"}",
    "{\"a\":\"\xc0\xaf\"}",
    "{\"a\":\"\xe0\x80\xaf\"}",
    "\xef\xbb\xbf{}",
    "{\"a\":1\xff}",
    "{\"a\":1\xc3\xa9}",
    "{\"a\":tru\xc3\xa9}",
    "{\xff}",
    "{\"a\":\xc3\xa9}",
    "{\"a\":#}",
    "{\"a\":\"\\",
    "{\"a\":\"\\u",
    "{\"a\":\"abc",
    "{\"a\":\"abcdefghijklmnopqrstuvwxyz",
    "{\"abcdefghijklmnopqrstuvwxyz\" 1}",
    "{\"a\":1\n,\n\"b\":\n}",
    "{\"a\":\"\xc3\xa9\xc3\xa9\" x}",
    "\n\n  {\"a\":\"\xc3\xa9\" \xc3\xa9}",
    "{\"a\":[1 2]}",
    "{\"a\":{\"b\":1 \"c\":2}}",
    "{\"a\":\"\\\xc3\xa9\"}",
    "{\"a\":\"\\\n\"}",
    /* jansson drops a NUL put back after a number or a word */
    "{\"a\":1\0}",
    "{\"a\":1\0\0}",
    "{\"a\":true\0,\"b\":2}",
    "{\"a\":1\0 x}",
    "{\"a\":\"x\"\0}",
    "\0{}",
    "{\"a\":1.5\0]",
    "{\"a\":[1\0,2\0 ,3\0\n,x]}",
    "{\"a\":nul\0l}",
    /* requests */
    TT_REQ(""),
    TT_REQ(TT_SPAN "}"),
    TT_REQ(TT_SPAN ",\"name\":5}"),
    TT_REQ("3"),
    TT_REQ(TT_SPAN "},7"),
    "{\"resourceSpans\":{}}",
    "{\"resourceSpans\":null}",
    "{\"resourceSpans\":null,\"resource_spans\":[1]}",
    "{\"resource_spans\":[1],\"resourceSpans\":null}",
    "{\"resourceSpans\":[1],\"resourceSpans\":[]}",
    "{\"resourceSpans\":[{\"resource\":5}]}",
    "{\"resourceSpans\":[{\"scopeSpans\":null,"
    "\"instrumentationLibrarySpans\":[5]}]}",
    "{\"resourceSpans\":[{\"scopeSpans\":5,\"instrumentationLibrarySpans\":"
    "[]}]}",
    "{\"resourceSpans\":[{\"scope_spans\":[{\"spans\":{}}]}]}",
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":{}},\"scopeSpans\":["
    "{\"spans\":[" TT_SPAN "},{}]}]}]}",
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[5]},\"scopeSpans\":"
    "[{\"spans\":[" TT_SPAN "}]}]}]}",
    TT_REQ(TT_SPAN ",\"attributes\":[{\"key\":\"x\",\"value\":{\"intValue\":"
                   "\"1\\u0032\"}}]}"),
    TT_REQ(TT_SPAN
           ",\"attributes\":[{\"value\":{\"stringValue\":\"v\"},\"key\":"
           "\"dag.id\",\"key\":\"x\"}]}"),
    TT_REQ(TT_SPAN ",\"attributes\":[{\"key\":\"dag.id\",\"value\":{"
                   "\"stringValue\":null,\"intValue\":3}}]}"),
    TT_REQ(TT_SPAN
           ",\"attributes\":[{\"key\":\"dag.node.depends_on\",\"value\":{"
           "\"arrayValue\":{\"values\":[null]}}}]}"),
    TT_REQ(TT_SPAN
           ",\"attributes\":[{\"key\":\"dag.node.depends_on\",\"value\":{"
           "\"arrayValue\":{\"values\":[{\"arrayValue\":{}},{"
           "\"stringValue\":\"a\\nb\"}]},\"array_value\":5}}]}"),
    TT_REQ(TT_SPAN ",\"spanId\":null,\"span_id\":\"0102030405060708\"}"),
    TT_REQ(TT_SPAN ",\"span_id\":\"zz\"}"),
    TT_REQ(TT_SPAN ",\"status\":{\"code\":\"STATUS_CODE_OK\\u0000x\"}}"),
    TT_REQ(TT_SPAN ",\"status\":{\"code\":2147483648}}"),
    TT_REQ(TT_SPAN ",\"status\":{\"code\":-2147483648}}"),
    TT_REQ(TT_SPAN
           ",\"links\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
           "\"spanId\":\"0102030405060708\"},{\"spanId\":5}]}"),
    TT_REQ(TT_SPAN ",\"links\":[{},{\"traceId\":\"zz\"}],\"links\":[]}"),
    TT_REQ(TT_SPAN ",\"startTimeUnixNano\":1.8446744073709552e19}"),
    TT_REQ(TT_SPAN ",\"startTimeUnixNano\":18446744073709549568.0,"
                   "\"endTimeUnixNano\":1e19}"),
    TT_REQ(TT_SPAN ",\"name\":\"n\\u0000x\",\"spanId\":\"01\\u00002\"}"),
    TT_REQ("{\"spanId\":\""
           "\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046\\u0041\\u0042\\u0043\\u"
           "0044\\u0045\\u0046"
           "\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046\\u0041\\u0042\\u0043\\u"
           "0044\\u0045\\u0046\"}"),
};
#undef TT_SPAN
#undef TT_REQ

#endif /* DP_TEST_JSON_SCAN_TEXTS_H */
