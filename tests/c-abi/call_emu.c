/*
 * The face SDK emulator library from C, through the vendor's ABI:
 *
 *   int  wxpayCallFaceService(const char *req, unsigned int reqSize,
 *                             char **pResp, unsigned int *pRespSize);
 *   void wxpayReleaseResponse(char **pResp);
 *
 * Usage: call_emu <path to libwxface_sdk_emu.so>
 *        call_emu.exe <path to wxface_sdk_emu.dll>   (Windows: any characters,
 *                     loaded by that path only, as LoadLibraryExW with
 *                     LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | ..._SYSTEM32)
 *
 * Environment:
 *   WXFACE_EMU_SANDBOX_URL  the sandbox the emulator talks to; without it only
 *                           the boundary contract and the SYSTEMERROR answer
 *                           of an unconfigured emulator are checked
 *   WXFACE_AUTHINFO_CMD     optional: a command that reads WXFACE_RAWDATA and
 *                           prints authinfo, appid, mch_id and store_id, one a
 *                           line (the merchant server's part, which C cannot
 *                           do here); with it the whole flow runs
 *   WXFACE_AUTHINFO_FILE    optional, instead of the command: a file holding
 *                           those four lines (Windows, where the command
 *                           cannot run)
 *
 * Run it under valgrind: every answer must be released exactly once.
 */
#define _POSIX_C_SOURCE 200809L
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*call_fn)(const char *, unsigned int, char **, unsigned int *);
typedef void (*release_fn)(char **);

static call_fn call;
static release_fn release_resp;
static int passed, failed;

#define CHECK(cond, what)                                                   \
    do {                                                                    \
        if (cond) {                                                         \
            passed++;                                                       \
        } else {                                                            \
            failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
        }                                                                   \
    } while (0)

/* A copy of the string value of "key" in a flat JSON object, or NULL.
 * Enough for the emulator's answers (no escapes in the values read here). */
static char *json_str(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (!p) return NULL;
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (!end) return NULL;
    size_t n = (size_t)(end - p);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

/* One call with a request of `len` bytes; returns the answer (malloc'd copy,
 * or NULL when the call returned non-zero) after checking the release
 * contract on it. */
static char *call_n(const char *req, unsigned int len) {
    char *resp = (char *)1; /* must be overwritten */
    unsigned int size = 12345;
    int rc = call(req, len, &resp, &size);
    if (rc != 0) {
        CHECK(resp == NULL && size == 0, "non-zero return leaves NULL / 0");
        return NULL;
    }
    CHECK(resp != NULL, "answer pointer set");
    if (!resp) return NULL;
    CHECK(strlen(resp) == size, "size is the byte length, terminator not counted");
    char *copy = strdup(resp);
    release_resp(&resp);
    CHECK(resp == NULL, "release sets the pointer to NULL");
    release_resp(&resp); /* a pointer to NULL: no-op */
    return copy;
}

static char *call_s(const char *req) { return call_n(req, (unsigned int)strlen(req)); }

static int is_success(const char *answer) {
    return answer && strstr(answer, "\"return_code\":\"SUCCESS\"") != NULL;
}

static void boundary(void) {
    const char *req = "{\"cmd\":\"initWxpayface\",\"version\":\"1\",\"now\":1700000000}";
    unsigned int n = (unsigned int)strlen(req);
    char *resp = (char *)1;
    unsigned int size = 7;

    release_resp(NULL);
    CHECK(1, "release(NULL) is a no-op");

    CHECK(call(NULL, 5, &resp, &size) != 0, "NULL request refused");
    CHECK(resp == NULL && size == 0, "outputs cleared on refusal");
    size = 7;
    CHECK(call(req, n, NULL, &size) != 0, "NULL pResp refused");
    CHECK(size == 0, "size cleared on refusal");
    resp = (char *)1;
    CHECK(call(req, n, &resp, NULL) != 0, "NULL pRespSize refused");
    CHECK(resp == NULL, "pointer cleared on refusal");

    char *a = call_s("{\"cmd\":\"\xff\xfe\"}");
    CHECK(a && strstr(a, "PARAM_ERROR"), "non-UTF-8 answers PARAM_ERROR");
    free(a);
}

static char *cmd(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "{\"cmd\":\"%s\",\"version\":\"1\",\"now\":%ld}", name,
             (long)time(NULL));
    return buf;
}

/* Reads one line from `f` into a malloc'd string without the newline. */
static char *read_line(FILE *f) {
    size_t cap = 256, n = 0;
    char *line = malloc(cap);
    if (!line) return NULL;
    for (;;) {
        if (!fgets(line + n, (int)(cap - n), f)) break;
        n += strlen(line + n);
        if (n > 0 && line[n - 1] == '\n') break;
        if (n + 1 == cap) {
            char *bigger = realloc(line, cap * 2);
            if (!bigger) break;
            line = bigger;
            cap *= 2;
        }
    }
    if (n == 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    return line;
}

static void full_flow(const char *rawdata) {
    const char *file = getenv("WXFACE_AUTHINFO_FILE");
    const char *helper = getenv("WXFACE_AUTHINFO_CMD");
    FILE *p = NULL;
    int from_file = file && *file;
    if (from_file) {
        (void)rawdata; /* the file was made for a rawdata of this device */
        p = fopen(file, "r");
        CHECK(p != NULL, "authinfo file opened");
    } else if (helper && *helper) {
#ifdef _WIN32
        fprintf(stderr, "note: WXFACE_AUTHINFO_CMD is not supported on Windows\n");
        return;
#else
        setenv("WXFACE_RAWDATA", rawdata, 1);
        p = popen(helper, "r");
        CHECK(p != NULL, "authinfo helper started");
#endif
    } else {
        fprintf(stderr, "note: neither WXFACE_AUTHINFO_FILE nor WXFACE_AUTHINFO_CMD set: "
                        "recognition and consent not run\n");
        return;
    }
    if (!p) return;
    char *authinfo = read_line(p), *appid = read_line(p), *mch_id = read_line(p),
         *store_id = read_line(p);
#ifdef _WIN32
    int status = fclose(p);
#else
    int status = from_file ? fclose(p) : pclose(p);
#endif
    CHECK(status == 0 && authinfo && appid && mch_id && store_id, "authinfo helper answered");
    if (status == 0 && authinfo && appid && mch_id && store_id) {
        size_t cap = strlen(authinfo) + 512;
        char *req = malloc(cap);
        for (int patient = 0; patient < 2; patient++) {
            snprintf(req, cap,
                     "{\"cmd\":\"getWxpayfaceCode\",\"version\":\"1\",\"now\":%ld,"
                     "\"appid\":\"%s\",\"mch_id\":\"%s\",\"store_id\":\"%s\","
                     "\"face_authtype\":\"FACE_AUTH\",\"authinfo\":\"%s\"}",
                     (long)time(NULL), appid, mch_id, store_id, authinfo);
            char *a = call_s(req);
            CHECK(is_success(a), "getWxpayfaceCode SUCCESS");
            char *face_sid = a ? json_str(a, "face_sid") : NULL;
            CHECK(face_sid != NULL, "getWxpayfaceCode returned face_sid");
            free(a);
            if (!face_sid) break;
            /* First patient consents; the second is "already verified": quit. */
            snprintf(req, cap,
                     "{\"cmd\":\"getWxpayAuth\",\"version\":\"1\",\"now\":%ld,"
                     "\"authinfo\":\"%s\",\"face_sid\":\"%s\",\"quit_face_auth\":\"%s\"}",
                     (long)time(NULL), authinfo, face_sid, patient == 0 ? "0" : "1");
            a = call_s(req);
            CHECK(is_success(a), patient == 0 ? "getWxpayAuth consent SUCCESS"
                                              : "getWxpayAuth quit SUCCESS");
            free(a);
            free(face_sid);
        }
        free(req);
    }
    free(authinfo);
    free(appid);
    free(mch_id);
    free(store_id);
}

#ifdef _WIN32
/* The path as UTF-16, straight from the command line (a Chinese folder name
 * survives; the ANSI argv would not). */
int wmain(int argc, wchar_t **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: call_emu.exe <wxface_sdk_emu.dll>\n");
        return 2;
    }
    HMODULE lib = LoadLibraryExW(argv[1], NULL,
                                 LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!lib) {
        fprintf(stderr, "LoadLibraryExW: error %lu\n", (unsigned long)GetLastError());
        return 2;
    }
    /* cdecl on 32-bit Windows, as the vendor documents: call_fn and
     * release_fn are plain C function pointers. */
    call = (call_fn)(void (*)(void))GetProcAddress(lib, "wxpayCallFaceService");
    release_resp = (release_fn)(void (*)(void))GetProcAddress(lib, "wxpayReleaseResponse");
    if (!call || !release_resp) {
        fprintf(stderr, "GetProcAddress: error %lu\n", (unsigned long)GetLastError());
        return 2;
    }
#else
int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <libwxface_sdk_emu.so>\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    *(void **)(&call) = dlsym(lib, "wxpayCallFaceService");
    *(void **)(&release_resp) = dlsym(lib, "wxpayReleaseResponse");
    if (!call || !release_resp) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 2;
    }
#endif

    boundary();

    int configured = getenv("WXFACE_EMU_SANDBOX_URL") != NULL;
    if (!configured) {
        char *a = call_s(cmd("initWxpayface"));
        CHECK(a && strstr(a, "SYSTEMERROR"), "unconfigured emulator answers SYSTEMERROR");
        free(a);
    } else {
        char *a = call_s("{\"cmd\":");
        CHECK(a && strstr(a, "PARAM_ERROR"), "invalid JSON answers PARAM_ERROR");
        free(a);

        a = call_s(cmd("getWxpayfaceRawdata"));
        CHECK(a && strstr(a, "271378620"), "rawdata before init: not initialised");
        free(a);

        a = call_s(cmd("initWxpayface"));
        CHECK(is_success(a), "initWxpayface SUCCESS");
        free(a);

        /* The request is read by length: what follows it is not part of it,
         * and there is no terminator. */
        const char *r = cmd("getWxpayfaceRawdata");
        size_t n = strlen(r);
        char *buf = malloc(n + 8);
        memcpy(buf, r, n);
        memcpy(buf + n, "}}}}garb", 8);
        a = call_n(buf, (unsigned int)n);
        free(buf);
        CHECK(is_success(a), "getWxpayfaceRawdata SUCCESS (unterminated request)");
        char *rawdata = a ? json_str(a, "rawdata") : NULL;
        CHECK(rawdata && strlen(rawdata) > 0 && strlen(rawdata) <= 2048, "rawdata present");
        free(a);

        /* Many calls, to make a leak per call visible. */
        for (int i = 0; i < 20; i++) {
            a = call_s(cmd("getWxpayfaceRawdata"));
            CHECK(is_success(a), "repeated rawdata SUCCESS");
            free(a);
        }

        if (rawdata) full_flow(rawdata);
        free(rawdata);

        a = call_s(cmd("releaseWxpayface"));
        CHECK(is_success(a), "releaseWxpayface SUCCESS");
        free(a);
    }

#ifdef _WIN32
    FreeLibrary(lib);
#else
    dlclose(lib);
#endif
    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
