#ifndef SWITCHBOARD_CCURL_SHIM_H
#define SWITCHBOARD_CCURL_SHIM_H

#include <curl/curl.h>

// libcurl's option setters and info getters are C variadic functions, which Swift cannot
// call. These typed wrappers fix the argument type per call site, so each option is passed
// exactly as libcurl reads it (a long, a pointer, a curl_off_t or a function pointer).

typedef size_t (*sb_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

static inline CURLcode sb_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_write_cb(CURL *handle, sb_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode sb_easy_setopt_header_cb(CURL *handle, sb_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode sb_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode sb_easy_getinfo_private(CURL *handle, void **value) {
    char *raw = NULL;
    CURLcode code = curl_easy_getinfo(handle, CURLINFO_PRIVATE, &raw);
    *value = raw;
    return code;
}

static inline CURLMcode sb_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

// CURL_GLOBAL_ALL is a composite macro that Swift does not import.
static inline CURLcode sb_global_init_all(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

// CURLMsg keeps its result in a union; these read it without Swift touching the union.
static inline int sb_msg_is_done(const CURLMsg *message) {
    return message->msg == CURLMSG_DONE;
}

static inline CURLcode sb_msg_result(const CURLMsg *message) {
    return message->data.result;
}

// Names the transfer thread so it can be told apart in `top -H` and debuggers.
#if defined(__linux__)
#include <sys/prctl.h>
static inline void sb_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
#else
static inline void sb_set_thread_name(const char *name) {
    (void)name;
}
#endif

#endif
