/*
 * otlp_json_lex_tables.c - the byte tables of the OTLP/JSON tokenizer
 * (otlp_json_lex.h): kept in a C file, where their designated initializers
 * are plain C to every tool (clang-format takes them for Objective-C in a
 * header).
 */
#include "otlp_json_lex.h"

const unsigned char dp__jl_cls[256] = {
    ['\t'] = JC_WS,    ['\n'] = JC_WS,    ['\r'] = JC_WS,    [' '] = JC_WS,
    ['{'] = JC_STRUCT, ['}'] = JC_STRUCT, ['['] = JC_STRUCT, [']'] = JC_STRUCT,
    [':'] = JC_STRUCT, [','] = JC_STRUCT, ['"'] = JC_QUOTE,  ['-'] = JC_NUM,
    ['0'] = JC_NUM,    ['1'] = JC_NUM,    ['2'] = JC_NUM,    ['3'] = JC_NUM,
    ['4'] = JC_NUM,    ['5'] = JC_NUM,    ['6'] = JC_NUM,    ['7'] = JC_NUM,
    ['8'] = JC_NUM,    ['9'] = JC_NUM,
#define JL_A(c) [c] = JC_ALPHA, [c + 32] = JC_ALPHA
    JL_A('A'),         JL_A('B'),         JL_A('C'),         JL_A('D'),
    JL_A('E'),         JL_A('F'),         JL_A('G'),         JL_A('H'),
    JL_A('I'),         JL_A('J'),         JL_A('K'),         JL_A('L'),
    JL_A('M'),         JL_A('N'),         JL_A('O'),         JL_A('P'),
    JL_A('Q'),         JL_A('R'),         JL_A('S'),         JL_A('T'),
    JL_A('U'),         JL_A('V'),         JL_A('W'),         JL_A('X'),
    JL_A('Y'),         JL_A('Z'),
#undef JL_A
#define JL_H16(c)                                                              \
    [c] = JC_HIGH, [c + 1] = JC_HIGH, [c + 2] = JC_HIGH, [c + 3] = JC_HIGH,    \
    [c + 4] = JC_HIGH, [c + 5] = JC_HIGH, [c + 6] = JC_HIGH,                   \
    [c + 7] = JC_HIGH, [c + 8] = JC_HIGH, [c + 9] = JC_HIGH,                   \
    [c + 10] = JC_HIGH, [c + 11] = JC_HIGH, [c + 12] = JC_HIGH,                \
    [c + 13] = JC_HIGH, [c + 14] = JC_HIGH, [c + 15] = JC_HIGH
    JL_H16(0x80),      JL_H16(0x90),      JL_H16(0xA0),      JL_H16(0xB0),
    JL_H16(0xC0),      JL_H16(0xD0),      JL_H16(0xE0),      JL_H16(0xF0),
#undef JL_H16
};

/* Bytes a string holds as they are: 0x20..0x7F but '"' and '\\'. */
const unsigned char dp__jl_plain[256] = {
#define JL_P8(c)                                                               \
    [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1, [c + 4] = 1, [c + 5] = 1,  \
    [c + 6] = 1, [c + 7] = 1
    [0x20] = 1,  [0x21] = 1,  [0x23] = 1,  [0x24] = 1,  [0x25] = 1,
    [0x26] = 1,  [0x27] = 1,  JL_P8(0x28), JL_P8(0x30), JL_P8(0x38),
    JL_P8(0x40), JL_P8(0x48), JL_P8(0x50), [0x58] = 1,  [0x59] = 1,
    [0x5A] = 1,  [0x5B] = 1,  [0x5D] = 1,  [0x5E] = 1,  [0x5F] = 1,
    JL_P8(0x60), JL_P8(0x68), JL_P8(0x70), JL_P8(0x78),
#undef JL_P8
};
