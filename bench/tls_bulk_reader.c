/*
 * One TLS reader for both sides of the bulk TLS comparison (bench/tls_bulk_pinned.ts), in C
 * over OpenSSL so that it is never the slower side: a Python reader spends ~800 µs of CPU per
 * MiB and caps a raw Deno TLS server at ~1,250 MiB/s on this machine.
 *
 * Reads MIB MiB in total over CONNS TLS connections (one thread each), in one of three modes:
 * - "raw": raw bytes from a server that just writes (a socket's streaming ceiling);
 * - "raw-requests": raw bytes, but as 1 MiB responses to one-octet requests, STREAMS
 *   outstanding per connection: the load shape of `h2load -m STREAMS /big` without HTTP/2;
 * - "h2": HTTP/2 responses to `GET /big` (STREAMS requests in flight per connection, 1 MiB
 *   each). It parses only frame headers, skipping payloads in place, and advertises 2^31-1
 *   octet windows up front, so it never sends a WINDOW_UPDATE.
 *
 * Build: gcc -O2 -o tls_bulk_reader bench/tls_bulk_reader.c -lssl -lcrypto -lpthread
 * Usage: tls_bulk_reader PORT CA_FILE raw|raw-requests|h2 MIB CONNS STREAMS
 * Prints one line: `<MiB read> <seconds>`.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define MIB (1 << 20)

static int port;
static const char *ca_file;
static int h2_mode;
static int request_mode;
static long per_conn_mib;
static int streams;
static SSL_CTX *ctx;

struct job {
  long got;
  int ok;
};

static void die(const char *what) {
  fprintf(stderr, "tls_bulk_reader: %s\n", what);
  exit(1);
}

static void write_all(SSL *ssl, const unsigned char *p, int n) {
  while (n > 0) {
    int w = SSL_write(ssl, p, n);
    if (w <= 0) die("SSL_write failed");
    p += w;
    n -= w;
  }
}

static void send_request(SSL *ssl, unsigned stream_id) {
  static const unsigned char block[] = {
      0x82, 0x87,                                    /* :method GET, :scheme https */
      0x04, 0x04, '/', 'b', 'i', 'g',                /* :path, literal without indexing */
      0x01, 0x09, '1', '2', '7', '.', '0', '.', '0', '.', '1', /* :authority */
  };
  unsigned char frame[9 + sizeof block];
  frame[0] = 0;
  frame[1] = 0;
  frame[2] = sizeof block;
  frame[3] = 0x01; /* HEADERS */
  frame[4] = 0x05; /* END_STREAM | END_HEADERS */
  frame[5] = stream_id >> 24;
  frame[6] = stream_id >> 16;
  frame[7] = stream_id >> 8;
  frame[8] = stream_id;
  memcpy(frame + 9, block, sizeof block);
  write_all(ssl, frame, sizeof frame);
}

static SSL *tls_connect(const char *alpn_wire, unsigned alpn_len) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect failed");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  SSL_set_alpn_protos(ssl, (const unsigned char *)alpn_wire, alpn_len);
  if (SSL_connect(ssl) != 1) die("TLS handshake failed");
  return ssl;
}

static void *read_conn(void *arg) {
  struct job *job = arg;
  unsigned char *buf = malloc(MIB);
  long want = per_conn_mib;
  if (!h2_mode) {
    SSL *ssl = tls_connect("\x03raw", 4);
    long got = 0;
    /* Request/response: one request octet per 1 MiB response, STREAMS outstanding. */
    long requested = 0;
    if (request_mode) {
      for (; requested < streams && requested < want; requested++) {
        write_all(ssl, (const unsigned char *)"r", 1);
      }
    }
    while (got < want * MIB) {
      int n = SSL_read(ssl, buf, MIB);
      if (n <= 0) break;
      long before = got / MIB;
      got += n;
      for (long k = before; request_mode && k < got / MIB && requested < want; k++, requested++) {
        write_all(ssl, (const unsigned char *)"r", 1);
      }
    }
    job->got = got;
    job->ok = got >= want * MIB;
    SSL_shutdown(ssl);
    close(SSL_get_fd(ssl));
    SSL_free(ssl);
    free(buf);
    return NULL;
  }
  SSL *ssl = tls_connect("\x02h2", 3);
  const unsigned char *proto;
  unsigned proto_len;
  SSL_get0_alpn_selected(ssl, &proto, &proto_len);
  if (proto_len != 2 || memcmp(proto, "h2", 2) != 0) die("server did not negotiate h2");
  static const unsigned char preface[] =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
      /* SETTINGS: INITIAL_WINDOW_SIZE = 2^31-1 */
      "\x00\x00\x06\x04\x00\x00\x00\x00\x00"
      "\x00\x04\x7f\xff\xff\xff"
      /* WINDOW_UPDATE on the connection: + (2^31-1 - 65535) */
      "\x00\x00\x04\x08\x00\x00\x00\x00\x00"
      "\x7f\xff\x00\x00";
  write_all(ssl, preface, sizeof preface - 1);
  unsigned next_id = 1;
  long sent = 0, done = 0, got = 0;
  for (int i = 0; i < streams && sent < want; i++, sent++, next_id += 2) send_request(ssl, next_id);
  int have = 0;   /* octets of an incomplete frame header kept at the front of buf */
  long skip = 0;  /* payload octets of the current frame still to skip */
  while (done < want) {
    int n = SSL_read(ssl, buf + have, MIB - have);
    if (n <= 0) break;
    got += n;
    int end = have + n, pos = 0;
    for (;;) {
      if (skip) {
        long take = skip < end - pos ? skip : end - pos;
        skip -= take;
        pos += take;
        if (skip) break;
      }
      if (end - pos < 9) break;
      unsigned char *h = buf + pos;
      long length = (h[0] << 16) | (h[1] << 8) | h[2];
      int type = h[3], flags = h[4];
      pos += 9;
      skip = length;
      if (type == 4 && !(flags & 1)) {
        write_all(ssl, (const unsigned char *)"\x00\x00\x00\x04\x01\x00\x00\x00\x00", 9);
      } else if (type == 7) {
        die("GOAWAY from the server");
      } else if (type == 3) {
        die("RST_STREAM from the server");
      } else if ((type == 0 || type == 1) && (flags & 1)) {
        done++;
        if (sent < want) {
          send_request(ssl, next_id);
          next_id += 2;
          sent++;
        }
      }
    }
    have = end - pos;
    if (have) memmove(buf, buf + pos, have);
  }
  job->got = got;
  job->ok = done >= want;
  close(SSL_get_fd(ssl));
  SSL_free(ssl);
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7) die("usage: tls_bulk_reader PORT CA_FILE raw|raw-requests|h2 MIB CONNS STREAMS");
  port = atoi(argv[1]);
  ca_file = argv[2];
  h2_mode = strcmp(argv[3], "h2") == 0;
  request_mode = strcmp(argv[3], "raw-requests") == 0;
  if (!h2_mode && !request_mode && strcmp(argv[3], "raw") != 0) die("mode: raw, raw-requests or h2");
  long mib = atol(argv[4]);
  int conns = atoi(argv[5]);
  streams = atoi(argv[6]);
  per_conn_mib = mib / conns;
  ctx = SSL_CTX_new(TLS_client_method());
  if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) die("cannot load the CA file");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  pthread_t threads[64];
  struct job jobs[64] = {0};
  if (conns < 1 || conns > 64) die("CONNS must be 1..64");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < conns; i++) pthread_create(&threads[i], NULL, read_conn, &jobs[i]);
  long total = 0;
  for (int i = 0; i < conns; i++) {
    pthread_join(threads[i], NULL);
    if (!jobs[i].ok) die("a connection ended early");
    total += jobs[i].got;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.1f %.4f\n", (double)total / MIB, secs);
  return 0;
}
