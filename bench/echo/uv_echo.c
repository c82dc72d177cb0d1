/* Reference echo server: libuv 1.44 (Debian's libuv1-dev), the libuv anchor of the echo
 * benchmark.
 *
 * Tuning: libuv's idiom, nothing more: one uv_loop; every read gets a fresh buffer from
 * alloc_cb (malloc of the size libuv suggests, 64 KiB); the bytes read are written back from
 * that same buffer, which is freed when the write completes (or at once when the read brought
 * nothing). TCP_NODELAY on every connection, as in the other servers.
 *
 * Usage: echo_uv [--host 127.0.0.1] [--port 0]
 * Prints `listening on <host>:<port>` once ready; exits 0 on SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* One allocation per read: the write request, then the bytes it sends back. alloc_cb hands
 * out `data`; on_read finds the block again from it. */
struct write_req {
  uv_write_t req;
  char data[];
};

static struct write_req* block_of(char* data) {
  return (struct write_req*)(data - offsetof(struct write_req, data));
}

static void die(const char* what, int err) {
  fprintf(stderr, "%s: %s\n", what, uv_strerror(err));
  exit(1);
}

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  struct write_req* w = malloc(sizeof *w + suggested);
  buf->base = w == NULL ? NULL : w->data;
  buf->len = w == NULL ? 0 : suggested;
}

static void on_closed(uv_handle_t* handle) {
  free(handle);
}

static void on_written(uv_write_t* req, int status) {
  struct write_req* w = (struct write_req*)req;
  uv_handle_t* stream = (uv_handle_t*)req->handle;
  free(w);
  if (status < 0 && !uv_is_closing(stream)) uv_close(stream, on_closed);
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    struct write_req* w = block_of(buf->base);
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
    if (uv_write(&w->req, stream, &out, 1, on_written) < 0) {
      free(w);
      if (!uv_is_closing((uv_handle_t*)stream)) uv_close((uv_handle_t*)stream, on_closed);
    }
    return;
  }
  if (buf->base != NULL) free(block_of(buf->base));
  if (nread < 0 && !uv_is_closing((uv_handle_t*)stream))
    uv_close((uv_handle_t*)stream, on_closed); /* EOF or an error */
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof *client);
  if (client == NULL) die("malloc", UV_ENOMEM);
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, (uv_stream_t*)client) != 0) {
    uv_close((uv_handle_t*)client, on_closed);
    return;
  }
  uv_tcp_nodelay(client, 1);
  uv_read_start((uv_stream_t*)client, on_alloc, on_read);
}

static void on_signal(uv_signal_t* handle, int signum) {
  (void)signum;
  uv_stop(handle->loop);
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--host 127.0.0.1] [--port 0]\n", argv[0]);
      return 2;
    }
  }

  signal(SIGPIPE, SIG_IGN); /* libuv writes with write(2), which raises it */
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_in addr;
  int err = uv_ip4_addr(host, port, &addr);
  if (err < 0) die("uv_ip4_addr", err);
  err = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (err < 0) die("uv_tcp_bind", err);
  err = uv_listen((uv_stream_t*)&server, 4096, on_connection);
  if (err < 0) die("uv_listen", err);
  int len = sizeof addr;
  uv_tcp_getsockname(&server, (struct sockaddr*)&addr, &len);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);

  uv_signal_t sigint, sigterm;
  uv_signal_init(loop, &sigint);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, SIGTERM);

  uv_run(loop, UV_RUN_DEFAULT);
  return 0; /* connections still open are closed by the exit */
}
