/*
 * arena.h - the one bump allocator of dagprof: a trace's strings and
 * records and its profile (processor/), the what-if replay's scratch, and
 * the strings of the records a pipeline batch carries from a receiver
 * thread to a shard (pipeline/batch.c) all live in an arena and are
 * released in one call, so the hot path does no per-span malloc.
 *
 * An arena is a list of blocks, oldest first: the blocks already filled,
 * the block being filled, then empty blocks kept by dp_arena_reset_keep
 * for reuse. Nothing ever moves, so pointers stay valid until a reset or
 * the end. New blocks grow by half from first_block up to max_block; a
 * request larger than the next block gets a block of its own, placed
 * before the one being filled so that block's free room is not lost.
 *
 * Two ways to start again: dp_arena_reset (a scratch arena: its blocks
 * become one block as large as all of them, so an arena reset again and
 * again settles on one block) and dp_arena_reset_keep (a pooled arena:
 * the oldest blocks up to a byte budget are kept as they are).
 *
 * Not thread-safe; an arena belongs to one thread at a time (a batch hands
 * its arena over with the batch).
 */
#ifndef DP_ARENA_H
#define DP_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dp_arena dp_arena;

typedef struct dp_arena_block {
    struct dp_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t data[];
} dp_arena_block;

/* Caller-owned (dp_arena_init / dp_arena_fini) or on the heap
 * (dp_arena_create / dp_arena_destroy). Fields are read-only outside
 * arena.c. */
struct dp_arena {
    dp_arena_block *head; /* oldest first */
    dp_arena_block *prev; /* the block before cur; NULL: cur is head */
    dp_arena_block *cur;  /* being filled; blocks after it are empty */
    size_t next_size;     /* size of the next new block */
    size_t max_block;     /* new blocks grow up to about this */
    size_t total;         /* heap bytes of every block, headers included */
};

#define DP_ARENA_ALIGN 16
#define DP_ARENA_MAX_BLOCK ((size_t)1 << 20) /* dp_arena_create's */

/* An empty arena (no memory yet) whose first block holds at least
 * first_block bytes (256 at least) and whose blocks grow by half up to
 * max_block (max_block == first_block: every block that size). */
void dp_arena_init(dp_arena *a, size_t first_block, size_t max_block);
/* Frees every block; a is empty again (init state). */
void dp_arena_fini(dp_arena *a);

/* dp_arena_init on the heap with max_block DP_ARENA_MAX_BLOCK; NULL on
 * ENOMEM. */
dp_arena *dp_arena_create(size_t first_block);
/* Frees every block and a. Accepts NULL. */
void dp_arena_destroy(dp_arena *a);

/* Makes every byte of a reusable again, keeping its memory: one block is
 * emptied in place; several are freed and the next allocation gets one
 * block as large as all of them (a scratch arena used again and again, as
 * the what-if replay's, does not fault fresh pages in each time). */
void dp_arena_reset(dp_arena *a);
/* Empties a, keeping its oldest blocks (headers included) up to keep_bytes
 * for reuse in the same order, and freeing the rest. O(blocks). */
void dp_arena_reset_keep(dp_arena *a, size_t keep_bytes);

/* Out of line part of dp_arena_alloc_raw and dp_arena_alloc_unaligned:
 * need bytes from the start of another block. */
void *dp__arena_alloc_slow(dp_arena *a, size_t need);

/* Returns n bytes aligned to 16, not zeroed (for what the caller writes
 * before reading); NULL on ENOMEM. O(1) amortized. */
static inline void *dp_arena_alloc_raw(dp_arena *a, size_t n)
{
    size_t need = (n + DP_ARENA_ALIGN - 1) & ~(size_t)(DP_ARENA_ALIGN - 1);
    dp_arena_block *b = a->cur;
    if (need == 0)
        need = DP_ARENA_ALIGN;
    if (b) {
        /* used is not a multiple of 16 after an unaligned allocation. */
        size_t off =
            (b->used + DP_ARENA_ALIGN - 1) & ~(size_t)(DP_ARENA_ALIGN - 1);
        if (off <= b->size && b->size - off >= need) {
            b->used = off + need;
            return (char *)b->data + off;
        }
    }
    return dp__arena_alloc_slow(a, need);
}

/* Returns n bytes (n > 0) with no alignment, right after the previous
 * allocation (strings: no padding between them); NULL on ENOMEM. */
static inline void *dp_arena_alloc_unaligned(dp_arena *a, size_t n)
{
    dp_arena_block *b = a->cur;
    if (b && b->size - b->used >= n) {
        void *p = (char *)b->data + b->used;
        b->used += n;
        return p;
    }
    return dp__arena_alloc_slow(a, n ? n : 1);
}

/* Same, zeroed. */
void *dp_arena_alloc(dp_arena *a, size_t n);

/* Copies len bytes of s and a NUL into p (len + 1 bytes) and returns p;
 * NULL when p is NULL, so a failed allocation passes through:
 * dp_str_put(alloc(len + 1), s, len). */
static inline char *dp_str_put(char *p, const char *s, size_t len)
{
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* Copies len bytes of s and a NUL, unaligned (dp_arena_alloc_unaligned). */
char *dp_arena_strndup(dp_arena *a, const char *s, size_t len);
char *dp_arena_strdup(dp_arena *a, const char *s);
/* printf into the arena. */
char *dp_arena_printf(dp_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Heap bytes of every block, headers included: what memory accounting
 * counts. O(1); 0 for NULL. */
size_t dp_arena_size(const dp_arena *a);
/* Bytes handed out (what the allocations needed; size minus free room and
 * headers). O(blocks); 0 for NULL. */
size_t dp_arena_used(const dp_arena *a);

#endif /* DP_ARENA_H */
