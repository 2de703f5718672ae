/*
 * arena.c - a bump allocator. A trace's strings and records, and later its
 * profile, live in one arena and are released in one call, so the hot path
 * does no per-span malloc. Blocks double in size up to 1 MiB; a request
 * larger than the current block gets a block of its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dp_arena_block {
    struct dp_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t data[];
};

struct dp_arena {
    struct dp_arena_block *head;
    size_t next_size;
    size_t total;
};

#define ARENA_ALIGN 16
#define ARENA_MAX_BLOCK (1u << 20)

static struct dp_arena_block *block_new(size_t size)
{
    struct dp_arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

dp_arena *dp__arena_create(size_t first_block)
{
    dp_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->next_size = first_block < 256 ? 256 : first_block;
    return a;
}

void dp__arena_destroy(dp_arena *a)
{
    if (!a)
        return;
    struct dp_arena_block *b = a->head;
    while (b) {
        struct dp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void dp__arena_reset(dp_arena *a)
{
    if (!a || !a->head)
        return;
    if (!a->head->next) {
        a->head->used = 0;
        return;
    }
    /* Several blocks: one block as large as all of them next time. */
    size_t size = 0;
    struct dp_arena_block *b = a->head;
    while (b) {
        struct dp_arena_block *next = b->next;
        size += b->size;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
    a->next_size = size;
}

void *dp__arena_alloc(dp_arena *a, size_t n)
{
    void *p = dp__arena_alloc_raw(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* n bytes at offset align(used) of the head block, or of a new block;
 * align is 16 or 1 (strings: no padding between them). */
static void *arena_take(dp_arena *a, size_t n, size_t align)
{
    struct dp_arena_block *b = a->head;
    size_t need = (n + align - 1) & ~(align - 1);
    if (need == 0)
        need = align;
    size_t off = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || off > b->size || b->size - off < need) {
        size_t size = a->next_size;
        if (need > size) {
            /* A large request gets its own block, kept behind the head so
             * the head's free space is not wasted. */
            struct dp_arena_block *big = block_new(need);
            if (!big)
                return NULL;
            a->total += sizeof(*big) + need;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                a->head = big;
            }
            big->used = need;
            return big->data;
        }
        b = block_new(size);
        if (!b)
            return NULL;
        a->total += sizeof(*b) + size;
        b->next = a->head;
        a->head = b;
        if (a->next_size < ARENA_MAX_BLOCK)
            a->next_size += a->next_size / 2;
        off = 0;
    }
    void *p = (char *)b->data + off;
    b->used = off + need;
    return p;
}

void *dp__arena_alloc_raw(dp_arena *a, size_t n)
{
    return arena_take(a, n, ARENA_ALIGN);
}

char *dp__arena_strndup(dp_arena *a, const char *s, size_t len)
{
    char *p = arena_take(a, len + 1, 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *dp__arena_strdup(dp_arena *a, const char *s)
{
    return dp__arena_strndup(a, s, strlen(s));
}

char *dp__arena_printf(dp_arena *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = dp__arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    if ((size_t)n < sizeof(small)) {
        memcpy(p, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

size_t dp__arena_size(const dp_arena *a)
{
    return a ? a->total : 0;
}

size_t dp__arena_used(const dp_arena *a)
{
    size_t used = 0;
    for (const struct dp_arena_block *b = a ? a->head : NULL; b; b = b->next)
        used += b->used;
    return used;
}

uint64_t dp__fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
