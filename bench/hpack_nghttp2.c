/*
 * C nghttp2 side of bench/hpack_compare.ts: times libnghttp2's HPACK deflater
 * and inflater on the corpus the script pipes in, and reports the deflater's
 * encoded size. Build: cc -O2 hpack_nghttp2.c -lnghttp2 (the script does it).
 *
 * stdin: "<connections>\n", then per connection "<blocks>\n", then per block
 * "<fields> <wire length>\n", the wire octets (to decode: the same octets
 * every implementation decodes), then per field "<name len> <value len>\n",
 * name, value. argv[1]: iterations. stdout: one JSON object.
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { size_t nfields; nghttp2_nv *nv; uint8_t *wire; size_t wirelen; } block_t;
typedef struct { size_t nblocks; block_t *blocks; } conn_t;

static size_t read_num(void) {
  size_t v;
  if (scanf("%zu", &v) != 1) { fprintf(stderr, "bad input\n"); exit(1); }
  getchar();
  return v;
}

static uint8_t *read_bytes(size_t n) {
  uint8_t *p = malloc(n + 1);
  if (n && fread(p, 1, n, stdin) != n) { fprintf(stderr, "short input\n"); exit(1); }
  return p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 100;
  size_t nconn = read_num(), fields = 0;
  conn_t *conns = calloc(nconn, sizeof *conns);
  for (size_t c = 0; c < nconn; c++) {
    conns[c].nblocks = read_num();
    conns[c].blocks = calloc(conns[c].nblocks, sizeof(block_t));
    for (size_t b = 0; b < conns[c].nblocks; b++) {
      block_t *blk = &conns[c].blocks[b];
      blk->nfields = read_num();
      blk->wirelen = read_num();
      blk->wire = read_bytes(blk->wirelen);
      blk->nv = calloc(blk->nfields, sizeof(nghttp2_nv));
      for (size_t f = 0; f < blk->nfields; f++) {
        size_t nl = read_num(), vl = read_num();
        blk->nv[f].name = read_bytes(nl);
        blk->nv[f].namelen = nl;
        blk->nv[f].value = read_bytes(vl);
        blk->nv[f].valuelen = vl;
        blk->nv[f].flags = NGHTTP2_NV_FLAG_NONE;
      }
      fields += blk->nfields;
    }
  }
  static uint8_t out[1 << 20];
  /* Best pass of `iters`, like the other codecs in hpack_compare.ts. */
  size_t encoded = 0;
  double enc_s = 1e9, dec_s = 1e9, t0;
  for (int i = 0; i < iters; i++) {
    t0 = now();
    encoded = 0;
    for (size_t c = 0; c < nconn; c++) {
      nghttp2_hd_deflater *d;
      nghttp2_hd_deflate_new(&d, 4096);
      for (size_t b = 0; b < conns[c].nblocks; b++) {
        block_t *blk = &conns[c].blocks[b];
        ssize_t n = nghttp2_hd_deflate_hd(d, out, sizeof out, blk->nv, blk->nfields);
        if (n < 0) { fprintf(stderr, "deflate failed\n"); return 1; }
        encoded += (size_t)n;
      }
      nghttp2_hd_deflate_del(d);
    }
    if (now() - t0 < enc_s) enc_s = now() - t0;
  }
  size_t decoded = 0;
  for (int i = 0; i < iters; i++) {
    t0 = now();
    decoded = 0;
    for (size_t c = 0; c < nconn; c++) {
      nghttp2_hd_inflater *inf;
      nghttp2_hd_inflate_new(&inf);
      for (size_t b = 0; b < conns[c].nblocks; b++) {
        block_t *blk = &conns[c].blocks[b];
        uint8_t *in = blk->wire;
        size_t left = blk->wirelen;
        for (;;) {
          nghttp2_nv nv;
          int flags = 0;
          ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &flags, in, left, 1);
          if (r < 0) { fprintf(stderr, "inflate failed\n"); return 1; }
          in += r;
          left -= (size_t)r;
          if (flags & NGHTTP2_HD_INFLATE_EMIT) decoded++;
          if (flags & NGHTTP2_HD_INFLATE_FINAL) { nghttp2_hd_inflate_end_headers(inf); break; }
          if (r == 0 && left == 0) break;
        }
      }
      nghttp2_hd_inflate_del(inf);
    }
    if (now() - t0 < dec_s) dec_s = now() - t0;
  }
  if (decoded != fields) { fprintf(stderr, "decoded %zu of %zu fields\n", decoded, fields); return 1; }
  printf("{\"fields\":%zu,\"encoded_bytes\":%zu,\"encode_s\":%.9f,\"decode_s\":%.9f,\"version\":\"%s\"}\n",
         fields, encoded, enc_s, dec_s, nghttp2_version(0)->version_str);
  return 0;
}
