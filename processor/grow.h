/*
 * grow.h - room for one more element at the end of a growable array: the
 * one way the processor's, the pipeline's and the exporters' arrays grow
 * (doubling from a first capacity, so n appends cost O(n) copies).
 */
#ifndef DP_PROCESSOR_GROW_H
#define DP_PROCESSOR_GROW_H

#include <stddef.h>

/* arrp is the address of an array pointer (T **) whose array holds n of
 * *cap elements of elem bytes. When it is full (n == *cap), reallocates it
 * to twice *cap elements (first when *cap is 0) and updates *arrp and
 * *cap. elem > 0. Returns 0, or DP_ENOMEM (also when the size would not
 * fit in size_t) with the array and *cap as they were. */
int dp_grow(void *arrp, size_t n, size_t *cap, size_t elem, size_t first);

#endif /* DP_PROCESSOR_GROW_H */
