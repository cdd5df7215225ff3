// hnswlib 0.6.2 (Debian's libhnswlib-dev) behind the C API of CHnswlib.h.
#include "CHnswlib.h"

#include <hnswlib/hnswlib.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

struct hnsw_index {
    // The space must outlive the graph: HierarchicalNSW keeps a pointer into it.
    std::unique_ptr<hnswlib::InnerProductSpace> space;
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
    size_t dimension;
};

namespace {

thread_local std::string last_error;

hnsw_status fail(hnsw_status status, const char *message) {
    last_error = message;
    return status;
}

/// hnswlib reports everything as std::runtime_error; its message is the only way to classify.
hnsw_status classify(const std::exception &error) {
    const char *message = error.what();
    if (std::strstr(message, "Label not found") || std::strstr(message, "already deleted")) {
        return fail(HNSW_NOT_FOUND, message);
    }
    if (std::strstr(message, "exceeds the specified limit")) return fail(HNSW_FULL, message);
    if (std::strstr(message, "Not enough memory")) return fail(HNSW_NO_MEMORY, message);
    if (std::strstr(message, "Cannot open") || std::strstr(message, "Cannot write") || std::strstr(message, "corrupted")) return fail(HNSW_IO, message);
    return fail(HNSW_FAILED, message);
}

template <typename Body>
hnsw_status guarded(Body body) {
    try {
        body();
        return HNSW_OK;
    } catch (const std::bad_alloc &) {
        return fail(HNSW_NO_MEMORY, "out of memory");
    } catch (const std::exception &error) {
        return classify(error);
    } catch (...) {
        return fail(HNSW_FAILED, "unknown C++ exception");
    }
}

/// hnswlib's loadIndex trusts the file: a truncated one reads garbage sizes. Checking the header
/// and the exact length it implies first turns a damaged file into an error instead of a crash.
bool plausible(const char *path, size_t dimension) {
    std::ifstream input(path, std::ios::binary | std::ios::ate);
    if (!input.is_open()) return false;
    const std::streamoff length = input.tellg();
    input.seekg(0, std::ios::beg);
    size_t header[6];  // offsetLevel0, max_elements, cur_element_count, size_data_per_element, label_offset, offsetData
    if (length < static_cast<std::streamoff>(sizeof(header))) return false;
    input.read(reinterpret_cast<char *>(header), sizeof(header));
    const size_t count = header[2], per_element = header[3];
    if (count > header[1] || per_element < dimension * sizeof(float) || per_element > (1u << 20)) return false;
    // The level-0 block alone must fit in the file.
    const std::streamoff header_bytes = 6 * sizeof(size_t) + sizeof(int) + sizeof(unsigned int) + 5 * sizeof(size_t);
    return count <= static_cast<size_t>(length) && header_bytes + static_cast<std::streamoff>(count * per_element) <= length;
}

}  // namespace

extern "C" {

const char *hnsw_last_error(void) { return last_error.c_str(); }

hnsw_status hnsw_create(size_t dimension, size_t capacity, size_t m, size_t ef_construction, size_t seed,
                        hnsw_index **out) {
    if (out == nullptr || dimension == 0 || m < 2) return fail(HNSW_INVALID, "invalid arguments to hnsw_create");
    return guarded([&] {
        auto index = std::make_unique<hnsw_index>();
        index->dimension = dimension;
        index->space = std::make_unique<hnswlib::InnerProductSpace>(dimension);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space.get(), capacity < 1 ? 1 : capacity,
                                                                          m, ef_construction, seed);
        *out = index.release();
    });
}

hnsw_status hnsw_load(const char *path, size_t dimension, size_t capacity, hnsw_index **out) {
    if (out == nullptr || path == nullptr || dimension == 0) return fail(HNSW_INVALID, "invalid arguments to hnsw_load");
    if (!plausible(path, dimension)) return fail(HNSW_IO, "not a complete hnswlib index of this dimension");
    return guarded([&] {
        auto index = std::make_unique<hnsw_index>();
        index->dimension = dimension;
        index->space = std::make_unique<hnswlib::InnerProductSpace>(dimension);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space.get(), std::string(path), false, capacity);
        *out = index.release();
    });
}

hnsw_status hnsw_save(const hnsw_index *index, const char *path) {
    if (index == nullptr || path == nullptr) return fail(HNSW_INVALID, "invalid arguments to hnsw_save");
    return guarded([&] {
        // saveIndex is not const in 0.6.2 but only reads the graph; it checks no stream errors, so a
        // full disk would leave a short file: compare the length with what it must have written.
        auto *graph = const_cast<hnswlib::HierarchicalNSW<float> *>(index->graph.get());
        graph->saveIndex(std::string(path));
        size_t expected = 96 + graph->cur_element_count * graph->size_data_per_element_;
        for (size_t i = 0; i < graph->cur_element_count; i++) {
            expected += sizeof(unsigned int) + (graph->element_levels_[i] > 0 ? graph->size_links_per_element_ * graph->element_levels_[i] : 0);
        }
        std::ifstream check(path, std::ios::binary | std::ios::ate);
        if (!check.is_open() || static_cast<size_t>(check.tellg()) != expected) {
            throw std::runtime_error("Cannot write the whole index (disk full?)");
        }
    });
}

void hnsw_free(hnsw_index *index) { delete index; }

hnsw_status hnsw_add(hnsw_index *index, const float *vector, uint64_t label) {
    if (index == nullptr || vector == nullptr) return fail(HNSW_INVALID, "invalid arguments to hnsw_add");
    return guarded([&] { index->graph->addPoint(vector, static_cast<hnswlib::labeltype>(label)); });
}

hnsw_status hnsw_mark_deleted(hnsw_index *index, uint64_t label) {
    if (index == nullptr) return fail(HNSW_INVALID, "invalid arguments to hnsw_mark_deleted");
    return guarded([&] { index->graph->markDelete(static_cast<hnswlib::labeltype>(label)); });
}

hnsw_status hnsw_search(const hnsw_index *index, const float *query, size_t k, uint64_t *labels, float *distances,
                        size_t *found) {
    if (index == nullptr || query == nullptr || found == nullptr || (k > 0 && (labels == nullptr || distances == nullptr))) {
        return fail(HNSW_INVALID, "invalid arguments to hnsw_search");
    }
    *found = 0;
    if (k == 0) return HNSW_OK;
    return guarded([&] {
        auto result = index->graph->searchKnn(query, k);
        // The queue pops the farthest first: fill from the back so the nearest ends up first.
        size_t n = result.size();
        *found = n;
        while (!result.empty()) {
            --n;
            labels[n] = static_cast<uint64_t>(result.top().second);
            distances[n] = result.top().first;
            result.pop();
        }
    });
}

hnsw_status hnsw_get_vector(const hnsw_index *index, uint64_t label, float *out) {
    if (index == nullptr || out == nullptr) return fail(HNSW_INVALID, "invalid arguments to hnsw_get_vector");
    return guarded([&] {
        auto values = index->graph->getDataByLabel<float>(static_cast<hnswlib::labeltype>(label));
        std::memcpy(out, values.data(), index->dimension * sizeof(float));
    });
}

hnsw_status hnsw_distances(const hnsw_index *index, const float *query, const uint64_t *labels, size_t count,
                           float *distances) {
    if (index == nullptr || query == nullptr || (count > 0 && (labels == nullptr || distances == nullptr))) {
        return fail(HNSW_INVALID, "invalid arguments to hnsw_distances");
    }
    return guarded([&] {
        auto *graph = index->graph.get();
        auto distance = graph->fstdistfunc_;
        void *parameter = graph->dist_func_param_;
        for (size_t i = 0; i < count; i++) {
            auto found = graph->label_lookup_.find(static_cast<hnswlib::labeltype>(labels[i]));
            if (found == graph->label_lookup_.end() || graph->isMarkedDeleted(found->second)) {
                distances[i] = 2.0f;
            } else {
                distances[i] = distance(query, graph->getDataByInternalId(found->second), parameter);
            }
        }
    });
}

void hnsw_set_ef(hnsw_index *index, size_t ef) {
    if (index != nullptr) index->graph->setEf(ef);
}

hnsw_status hnsw_resize(hnsw_index *index, size_t capacity) {
    if (index == nullptr) return fail(HNSW_INVALID, "invalid arguments to hnsw_resize");
    return guarded([&] { index->graph->resizeIndex(capacity); });
}

size_t hnsw_count(const hnsw_index *index) { return index == nullptr ? 0 : index->graph->cur_element_count; }

size_t hnsw_deleted_count(const hnsw_index *index) { return index == nullptr ? 0 : index->graph->num_deleted_; }

size_t hnsw_capacity(const hnsw_index *index) { return index == nullptr ? 0 : index->graph->max_elements_; }

}  // extern "C"
