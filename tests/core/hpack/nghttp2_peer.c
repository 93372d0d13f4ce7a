/*
 * Differential-test peer: libnghttp2's HPACK inflater and deflater.
 * Build: cc -O1 nghttp2_peer.c -lnghttp2 (nghttp2_differential_test.ts does it).
 *
 * argv[1]: "inflate" or "deflate". stdin: "<connections>\n", then per
 * connection "<blocks>\n", then per block "<table size or -1> <fields> <wire
 * length>\n", the wire octets, then per field "<name len> <value len>
 * <sensitive>\n", name, value. A table size is a SETTINGS_HEADER_TABLE_SIZE
 * change applied just before the block.
 * stdout, one line per block: inflate -> "ok" then " <name hex>:<value hex>:<0|1>"
 * per field (1 = arrived never-indexed), or "error <code>" (and the rest of
 * that connection is skipped); deflate -> "wire <hex>".
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long read_num(void) {
  long v;
  if (scanf("%ld", &v) != 1) { fprintf(stderr, "bad input\n"); exit(2); }
  getchar();
  return v;
}

static uint8_t *read_bytes(size_t n) {
  uint8_t *p = malloc(n + 1);
  if (n && fread(p, 1, n, stdin) != n) { fprintf(stderr, "short input\n"); exit(2); }
  return p;
}

static void hex(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

int main(int argc, char **argv) {
  int inflate = argc > 1 && strcmp(argv[1], "inflate") == 0;
  long nconn = read_num();
  static uint8_t out[1 << 20];
  for (long c = 0; c < nconn; c++) {
    long nblocks = read_num();
    nghttp2_hd_inflater *inf = NULL;
    nghttp2_hd_deflater *def = NULL;
    if (inflate) nghttp2_hd_inflate_new(&inf); else nghttp2_hd_deflate_new(&def, 4096);
    int failed = 0;
    for (long b = 0; b < nblocks; b++) {
      long table = read_num();
      long nfields = read_num();
      size_t wirelen = (size_t)read_num();
      uint8_t *wire = read_bytes(wirelen);
      nghttp2_nv *nv = calloc(nfields + 1, sizeof *nv);
      for (long f = 0; f < nfields; f++) {
        size_t nl = (size_t)read_num(), vl = (size_t)read_num();
        long sensitive = read_num();
        nv[f].name = read_bytes(nl);
        nv[f].namelen = nl;
        nv[f].value = read_bytes(vl);
        nv[f].valuelen = vl;
        nv[f].flags = sensitive ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE;
      }
      if (failed) continue;
      if (inflate) {
        if (table >= 0) nghttp2_hd_inflate_change_table_size(inf, (size_t)table);
        uint8_t *in = wire;
        size_t left = wirelen;
        printf("ok");
        for (;;) {
          nghttp2_nv got;
          int flags = 0;
          ssize_t r = nghttp2_hd_inflate_hd2(inf, &got, &flags, in, left, 1);
          if (r < 0) { printf("\nerror %zd\n", r); failed = 1; break; }
          in += r;
          left -= (size_t)r;
          if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            printf(" ");
            hex(got.name, got.namelen);
            printf(":");
            hex(got.value, got.valuelen);
            printf(":%d", (got.flags & NGHTTP2_NV_FLAG_NO_INDEX) ? 1 : 0);
          }
          if (flags & NGHTTP2_HD_INFLATE_FINAL) { nghttp2_hd_inflate_end_headers(inf); printf("\n"); break; }
          if (r == 0 && left == 0) { printf("\nerror incomplete\n"); failed = 1; break; }
        }
      } else {
        if (table >= 0) nghttp2_hd_deflate_change_table_size(def, (size_t)table);
        ssize_t n = nghttp2_hd_deflate_hd(def, out, sizeof out, nv, (size_t)nfields);
        if (n < 0) { printf("error %zd\n", n); failed = 1; continue; }
        printf("wire ");
        hex(out, (size_t)n);
        printf("\n");
      }
    }
    if (inf) nghttp2_hd_inflate_del(inf);
    if (def) nghttp2_hd_deflate_del(def);
  }
  return 0;
}
