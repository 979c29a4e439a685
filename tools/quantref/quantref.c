// quantref writes quant/testdata/ggml_ref.bin: what ggml's reference
// quantizers and dequantizers make of a fixed set of float rows. The Go tests
// in package quant regenerate the same rows and compare bit for bit.
//
// Build and run from the repository root (llama.cpp's source at /tmp/llama.cpp):
//
//   L=/tmp/llama.cpp/ggml
//   gcc -O2 -ffp-contract=off -I$L/include -I$L/src -o /tmp/quantref tools/quantref/quantref.c $L/src/ggml-quants.c -lm
//   /tmp/quantref > quant/testdata/ggml_ref.bin
//
// -ffp-contract=off keeps every product and sum rounded on its own, as the
// reference formulas are written (x86-64 without -march has no FMA anyway).
// ggml-quants.c needs four functions from ggml.c; the stubs below stand in.
//
// The file, all little-endian:
//   "GQREF1\0\0", u32 rows, u32 cols, u64 input hash,
//   u64 fp32->fp16 hash, u64 fp16->fp32 hash, u64 fp32->bf16 hash,
//   then per type: u32 type id, u32 row bytes,
//     rows quantized rows, rows dequantized rows (cols f32 each),
//     one row of random block bytes, and its dequantized floats;
//   then the bulk rows: u32 rows, u32 cols, and per type (same order) the
//     low 32 bits of the hash of each quantized block, and a u64 hash of all
//     the dequantized floats.
// Hashes are FNV-1a 64 over the little-endian bytes of the values.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-quants.h"
#include "ggml-impl.h"

void ggml_abort(const char *file, int line, const char *fmt, ...) {
    fprintf(stderr, "ggml_abort at %s:%d\n", file, line);
    abort();
}

const char *ggml_type_name(enum ggml_type t) { return "?"; }

struct tinfo { enum ggml_type t; int blck, size; };
static const struct tinfo types[] = {
    {GGML_TYPE_Q4_0, 32, 18},   {GGML_TYPE_Q4_1, 32, 20},   {GGML_TYPE_Q5_0, 32, 22},
    {GGML_TYPE_Q5_1, 32, 24},   {GGML_TYPE_Q8_0, 32, 34},   {GGML_TYPE_Q4_K, 256, 144},
    {GGML_TYPE_Q5_K, 256, 176}, {GGML_TYPE_Q6_K, 256, 210}, {GGML_TYPE_Q8_K, 256, 292},
};
#define NTYPES (sizeof types / sizeof types[0])

static const struct tinfo *info(enum ggml_type t) {
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].t == t) return &types[i];
    abort();
}
size_t ggml_type_size(enum ggml_type t) { return info(t)->size; }
size_t ggml_row_size(enum ggml_type t, int64_t n) { return n / info(t)->blck * info(t)->size; }

// The row generator; quant's oracle_test.go has its twin.
static uint32_t rng;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static float unif(void) { return (float)(next() >> 8) * 0x1p-24f; }   // [0, 1)
static float sym(void) { return 2.0f * unif() - 1.0f; }              // [-1, 1)
static float gauss(void) { float s = unif() + unif(); s = s + unif(); s = s + unif(); return s - 2.0f; }

#define ROWS 14
#define COLS 512

static float gen(int row, int i) {
    switch (row) {
    case 0: return sym();
    case 1: return gauss() * 0.02f;
    case 2: return sym() * 1e-3f;
    case 3: return sym() * 100.0f;
    case 4: return unif();
    case 5: { float v = gauss() * 0.02f; return i % 37 == 5 ? v * 50.0f : v; }
    case 6: return 0.0f;
    case 7: return 0.5f;
    case 8: return -3.0f;
    case 9: { float v = sym() * 0.01f; return i == 100 ? 1e4f : v; }
    case 10: return sym() * 1e-6f;
    case 11: return sym() * 1e-30f;
    case 12: return -unif() - 0.1f;
    default: { float v = sym() * 65504.0f; return i % 2 ? 65504.0f : v; }
    }
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ull; }
    return h;
}
#define FNV0 14695981039346656037ull

static void out(const void *p, size_t n) { fwrite(p, 1, n, stdout); }
static void out32(uint32_t v) { out(&v, 4); }
static void out64(uint64_t v) { out(&v, 8); }

// conversions hashes the half and bf16 conversions: fp32 bit patterns in
// steps of 4093 (about a million), and every fp16 value.
static void conversions(void) {
    uint64_t h16 = FNV0, hb = FNV0, h32 = FNV0;
    for (uint64_t b = 0; b < 1ull << 32; b += 4093) {
        uint32_t u = (uint32_t)b; float f; memcpy(&f, &u, 4);
        ggml_fp16_t h = GGML_FP32_TO_FP16(f);
        ggml_bf16_t bf = GGML_FP32_TO_BF16(f);
        h16 = fnv(h16, &h, 2); hb = fnv(hb, &bf.bits, 2);
    }
    for (uint32_t u = 0; u < 65536; u++) {
        float f = GGML_FP16_TO_FP32((ggml_fp16_t)u);
        h32 = fnv(h32, &f, 4);
    }
    out64(h16); out64(h32); out64(hb);
}

static void quantize(enum ggml_type t, const float *x, void *y) {
    switch (t) {
    case GGML_TYPE_Q4_0: quantize_q4_0(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q4_1: quantize_q4_1(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q5_0: quantize_q5_0(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q5_1: quantize_q5_1(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q8_0: quantize_q8_0(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q4_K: quantize_q4_K(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q5_K: quantize_q5_K(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q6_K: quantize_q6_K(x, y, 1, COLS, NULL); break;
    case GGML_TYPE_Q8_K: quantize_row_q8_K_ref(x, y, COLS); break;
    default: abort();
    }
}

static void dequantize(enum ggml_type t, const void *x, float *y) {
    switch (t) {
    case GGML_TYPE_Q4_0: dequantize_row_q4_0(x, y, COLS); break;
    case GGML_TYPE_Q4_1: dequantize_row_q4_1(x, y, COLS); break;
    case GGML_TYPE_Q5_0: dequantize_row_q5_0(x, y, COLS); break;
    case GGML_TYPE_Q5_1: dequantize_row_q5_1(x, y, COLS); break;
    case GGML_TYPE_Q8_0: dequantize_row_q8_0(x, y, COLS); break;
    case GGML_TYPE_Q4_K: dequantize_row_q4_K(x, y, COLS); break;
    case GGML_TYPE_Q5_K: dequantize_row_q5_K(x, y, COLS); break;
    case GGML_TYPE_Q6_K: dequantize_row_q6_K(x, y, COLS); break;
    case GGML_TYPE_Q8_K: dequantize_row_q8_K(x, y, COLS); break;
    default: abort();
    }
}

// randomBlocks fills a row of random bytes whose scale fields are finite:
// halves get exponents below 31, Q8_K's f32 scale a value in [-1, 1).
static void randomBlocks(const struct tinfo *ti, uint8_t *q) {
    int nb = COLS / ti->blck;
    for (int i = 0; i < nb * ti->size; i++) q[i] = (uint8_t)(next() >> 24);
    for (int b = 0; b < nb; b++) {
        uint8_t *blk = q + b * ti->size;
        int halves[2] = {0, -1};
        switch (ti->t) {
        case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_1: case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K:
            halves[1] = 2; break;
        case GGML_TYPE_Q6_K: halves[0] = 208; break;
        case GGML_TYPE_Q8_K: { float d = sym(); memcpy(blk, &d, 4); halves[0] = -1; break; }
        default: break;
        }
        for (int k = 0; k < 2; k++)
            if (halves[k] >= 0) blk[halves[k] + 1] &= 0xBF;   // exponent below 16: |d| < 2
    }
}

// bulk hashes what ggml makes of BULK_ROWS more rows (random kinds of gen,
// new seeds): enough blocks to count how many differ without storing them.
#define BULK_ROWS 72
static void bulk(void) {
    static const int kinds[] = {0, 1, 2, 3, 4, 5, 9, 12, 13};
    static float x[BULK_ROWS][COLS], y[COLS];
    static uint8_t q[COLS * 2];
    for (int r = 0; r < BULK_ROWS; r++) {
        rng = 0x85EBCA6Bu * (uint32_t)(r + 1);
        for (int i = 0; i < COLS; i++) x[r][i] = gen(kinds[r % 9], i);
    }
    out32(BULK_ROWS); out32(COLS);
    for (size_t k = 0; k < NTYPES; k++) {
        const struct tinfo *ti = &types[k];
        uint64_t hy = FNV0;
        for (int r = 0; r < BULK_ROWS; r++) {
            memset(q, 0, sizeof q);
            quantize(ti->t, x[r], q);
            for (int b = 0; b < COLS / ti->blck; b++) out32((uint32_t)fnv(FNV0, q + b * ti->size, ti->size));
            dequantize(ti->t, q, y);
            hy = fnv(hy, y, sizeof y);
        }
        out64(hy);
    }
}

int main(void) {
    static float x[ROWS][COLS], y[COLS];
    static uint8_t q[COLS * 2];
    uint64_t hin = FNV0;
    for (int r = 0; r < ROWS; r++) {
        rng = 0x9E3779B9u * (uint32_t)(r + 1);
        for (int i = 0; i < COLS; i++) x[r][i] = gen(r, i);
        hin = fnv(hin, x[r], sizeof x[r]);
    }
    out("GQREF1\0\0", 8); out32(ROWS); out32(COLS); out64(hin);
    conversions();
    for (size_t k = 0; k < NTYPES; k++) {
        const struct tinfo *ti = &types[k];
        size_t rb = ggml_row_size(ti->t, COLS);
        static uint8_t qs[ROWS][COLS * 2];
        out32(ti->t); out32((uint32_t)rb);
        for (int r = 0; r < ROWS; r++) {
            memset(qs[r], 0, rb);
            quantize(ti->t, x[r], qs[r]);
            out(qs[r], rb);
        }
        for (int r = 0; r < ROWS; r++) { dequantize(ti->t, qs[r], y); out(y, sizeof y); }
        rng = 0xC0FFEEu + (uint32_t)ti->t;
        randomBlocks(ti, q);
        out(q, rb);
        dequantize(ti->t, q, y); out(y, sizeof y);
    }
    bulk();
    return 0;
}
