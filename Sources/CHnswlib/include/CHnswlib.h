// A small C API over hnswlib's HierarchicalNSW<float> in inner-product space, so Swift can use
// the header-only C++ library without C++ interop. Every entry point catches every C++ exception
// and reports it as a status code plus a message; nothing throws across this boundary.
#ifndef CHNSWLIB_H
#define CHNSWLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hnsw_index hnsw_index;

typedef enum {
    HNSW_OK = 0,
    /// A label that is not in the graph (markDelete of an unknown or already deleted point).
    HNSW_NOT_FOUND = 1,
    /// The graph is full: resize it first.
    HNSW_FULL = 2,
    /// Reading or writing the file failed, or the file is not an index of this dimension.
    HNSW_IO = 3,
    /// Allocation failed.
    HNSW_NO_MEMORY = 4,
    /// Bad arguments (null pointer, zero dimension).
    HNSW_INVALID = 5,
    /// Any other exception from the library.
    HNSW_FAILED = 6,
} hnsw_status;

/// The message of the last failure on this thread; valid until the next call on this thread.
const char *hnsw_last_error(void);

/// A new empty graph for `dimension`-float vectors, room for `capacity` points, `m` links per
/// node and `ef_construction` candidates while inserting. Vectors must be L2-normalised: the
/// space is inner product (distance = 1 - dot).
hnsw_status hnsw_create(size_t dimension, size_t capacity, size_t m, size_t ef_construction,
                        size_t seed, hnsw_index **out);

/// Loads a graph saved by `hnsw_save`; `capacity` at least its element count (0: exactly that).
hnsw_status hnsw_load(const char *path, size_t dimension, size_t capacity, hnsw_index **out);

/// Writes the whole graph to `path` (not atomically: write to a temporary name and rename).
hnsw_status hnsw_save(const hnsw_index *index, const char *path);

void hnsw_free(hnsw_index *index);

/// Inserts a point, or replaces the vector of an existing label (undeleting it).
hnsw_status hnsw_add(hnsw_index *index, const float *vector, uint64_t label);

/// Marks a label deleted: searches skip it; its slot stays until the label is added again.
hnsw_status hnsw_mark_deleted(hnsw_index *index, uint64_t label);

/// The `k` nearest live points: labels and distances (1 - inner product), nearest first. Writes
/// the number found to `found` (fewer than k when the graph holds fewer).
hnsw_status hnsw_search(const hnsw_index *index, const float *query, size_t k,
                        uint64_t *labels, float *distances, size_t *found);

/// Copies the stored vector of a live label into `out` (`dimension` floats).
hnsw_status hnsw_get_vector(const hnsw_index *index, uint64_t label, float *out);

/// Distances (1 - inner product) from `query` to each of `count` labels, for an exact scan of a
/// subset; a label that is not live gets a distance of 2 (the farthest possible).
hnsw_status hnsw_distances(const hnsw_index *index, const float *query, const uint64_t *labels, size_t count,
                           float *distances);

/// Candidates kept while searching (at least k is used); higher means better recall, slower.
void hnsw_set_ef(hnsw_index *index, size_t ef);

hnsw_status hnsw_resize(hnsw_index *index, size_t capacity);

/// Points ever added, deleted ones included.
size_t hnsw_count(const hnsw_index *index);
size_t hnsw_deleted_count(const hnsw_index *index);
size_t hnsw_capacity(const hnsw_index *index);

#ifdef __cplusplus
}
#endif

#endif
