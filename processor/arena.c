/*
 * arena.c - the bump allocator (see arena.h): blocks kept oldest first,
 * a cursor on the block being filled, the empty blocks after it reused
 * before a new one is made.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

static dp_arena_block *block_new(dp_arena *a, size_t size)
{
    dp_arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    a->total += sizeof(*b) + size;
    return b;
}

static void free_list(dp_arena_block *b)
{
    while (b) {
        dp_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void dp_arena_init(dp_arena *a, size_t first_block, size_t max_block)
{
    memset(a, 0, sizeof(*a));
    a->next_size = first_block < 256 ? 256 : first_block;
    a->max_block = max_block;
}

void dp_arena_fini(dp_arena *a)
{
    free_list(a->head);
    a->head = a->prev = a->cur = NULL;
    a->total = 0;
}

dp_arena *dp_arena_create(size_t first_block)
{
    dp_arena *a = malloc(sizeof(*a));
    if (a)
        dp_arena_init(a, first_block, DP_ARENA_MAX_BLOCK);
    return a;
}

void dp_arena_destroy(dp_arena *a)
{
    if (!a)
        return;
    free_list(a->head);
    free(a);
}

void dp_arena_reset(dp_arena *a)
{
    if (!a || !a->head)
        return;
    if (!a->head->next) {
        a->head->used = 0;
        a->prev = NULL;
        a->cur = a->head;
        return;
    }
    /* Several blocks: one block as large as all of them next time. */
    size_t size = 0;
    for (const dp_arena_block *b = a->head; b; b = b->next)
        size += b->size;
    free_list(a->head);
    a->head = a->prev = a->cur = NULL;
    a->total = 0;
    a->next_size = size;
}

void dp_arena_reset_keep(dp_arena *a, size_t keep_bytes)
{
    size_t kept = 0;
    dp_arena_block **link = &a->head;
    while (*link) {
        dp_arena_block *b = *link;
        size_t sz = sizeof(*b) + b->size;
        if (kept + sz > keep_bytes) {
            *link = b->next;
            a->total -= sz;
            free(b);
            continue;
        }
        kept += sz;
        b->used = 0;
        link = &b->next;
    }
    a->prev = NULL;
    a->cur = a->head;
}

void *dp__arena_alloc_slow(dp_arena *a, size_t need)
{
    /* Every block the cursor moves to, or that is made, starts empty, so
     * what it hands out is aligned whatever need is. */
    dp_arena_block *cur = a->cur;
    dp_arena_block *spare = cur ? cur->next : NULL;
    if (spare && spare->size >= need) {
        /* A block kept by dp_arena_reset_keep (empty). */
        a->prev = cur;
        a->cur = spare;
    } else if (need > a->next_size) {
        /* A block of its own, before the one being filled, so that one's
         * free room is not wasted. */
        dp_arena_block *big = block_new(a, need);
        if (!big)
            return NULL;
        big->next = cur;
        if (a->prev)
            a->prev->next = big;
        else
            a->head = big;
        a->prev = big;
        big->used = need;
        return big->data;
    } else {
        dp_arena_block *b = block_new(a, a->next_size);
        if (!b)
            return NULL;
        if (cur) {
            b->next = cur->next;
            cur->next = b;
            a->prev = cur;
        } else if (a->prev) {
            a->prev->next = b;
        } else {
            a->head = b;
        }
        a->cur = b;
        if (a->next_size < a->max_block)
            a->next_size += a->next_size / 2;
    }
    void *p = (char *)a->cur->data + a->cur->used;
    a->cur->used += need;
    return p;
}

void *dp_arena_alloc(dp_arena *a, size_t n)
{
    void *p = dp_arena_alloc_raw(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* Strings are packed with no padding between them (align 1): a trace
 * keeps many short names, which 16-byte steps would pad. */
char *dp_arena_strndup(dp_arena *a, const char *s, size_t len)
{
    return dp_str_put(dp_arena_alloc_unaligned(a, len + 1), s, len);
}

char *dp_arena_strdup(dp_arena *a, const char *s)
{
    return dp_arena_strndup(a, s, strlen(s));
}

char *dp_arena_printf(dp_arena *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = dp_arena_alloc_raw(a, (size_t)n + 1);
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

size_t dp_arena_size(const dp_arena *a)
{
    return a ? a->total : 0;
}

size_t dp_arena_used(const dp_arena *a)
{
    size_t used = 0;
    for (const dp_arena_block *b = a ? a->head : NULL; b; b = b->next)
        used += b->used;
    return used;
}
