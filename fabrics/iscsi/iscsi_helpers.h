/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of tcm_rs_iscsi: kernel sockets and threads, capabilities and
 * CPU masks, which the Rust bindings do not cover. The Rust half declares
 * these functions itself with opaque pointers; a socket address is a
 * struct sockaddr_storage (128 bytes, 8-aligned) it treats as bytes.
 */
#ifndef TCM_RS_ISCSI_HELPERS_H
#define TCM_RS_ISCSI_HELPERS_H

#include <linux/socket.h>
#include <linux/types.h>

struct socket;

struct tcm_rs_iscsi_listener;

/* inet_pton_with_scope() of a portal's host and port (LIO's parsing). */
int tcm_rs_iscsi_addr_parse(const char *host, const char *port,
			    struct sockaddr_storage *out);
/* Same family, address and port (LIO's iscsit_check_np_match()). */
bool tcm_rs_iscsi_addr_eq(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b);
/* "%pISpc" into buf; returns the length written. */
int tcm_rs_iscsi_addr_format(const struct sockaddr_storage *addr, char *buf,
			     size_t size);

/*
 * Binds and listens on addr (SO_REUSEADDR, IP_FREEBIND, TCP_NODELAY, as
 * LIO) and starts a thread that accepts connections and hands each to
 * accepted(ctx, sock), which owns the socket from then on. Returns the
 * listener or an ERR_PTR (the bind's error: EADDRINUSE, ...).
 */
struct tcm_rs_iscsi_listener *
tcm_rs_iscsi_listen(const struct sockaddr_storage *addr, void *ctx,
		    void (*accepted)(void *ctx, struct socket *sock));
/* Stops the thread (no call to accepted() after this returns), closes. */
void tcm_rs_iscsi_unlisten(struct tcm_rs_iscsi_listener *l);

/* The peer's address of a connected socket. */
int tcm_rs_iscsi_sock_peer(struct socket *sock, struct sockaddr_storage *out);
/* Shuts a connection down and releases the socket. */
void tcm_rs_iscsi_sock_close(struct socket *sock);

/*
 * A connection's thread: runs fn(data), then exits through
 * kthread_complete_and_exit(), so that a waiter knows the thread has left
 * the module's code. Returns the handle or an ERR_PTR.
 */
struct tcm_rs_iscsi_thread;
struct tcm_rs_iscsi_thread *tcm_rs_iscsi_thread_start(void (*fn)(void *data),
						      void *data);
/* Whether the thread has finished (its handle can be freed at once). */
bool tcm_rs_iscsi_thread_finished(struct tcm_rs_iscsi_thread *t);
/* Waits for the thread to finish, then frees the handle. */
void tcm_rs_iscsi_thread_reap(struct tcm_rs_iscsi_thread *t);

/* Reads exactly len bytes: 0, -ECONNRESET at the end of the stream, or
 * another -errno (-EAGAIN when the receive timeout passes). */
int tcm_rs_iscsi_sock_recv(struct socket *sock, void *buf, size_t len);
/* Sends hdr, then data and its padding to a multiple of 4: 0 or -errno. */
int tcm_rs_iscsi_sock_send(struct socket *sock, const void *hdr, size_t hdr_len,
			   const void *data, size_t data_len);
/* The socket's own address. */
int tcm_rs_iscsi_sock_local(struct socket *sock, struct sockaddr_storage *out);
/* The receive timeout in seconds; 0: none. */
void tcm_rs_iscsi_sock_timeout(struct socket *sock, unsigned int secs);
/* Shuts a connection down (a thread in recv wakes up); keeps the socket. */
void tcm_rs_iscsi_sock_shutdown(struct socket *sock);
/* Releases a socket. */
void tcm_rs_iscsi_sock_release(struct socket *sock);
/* INADDR_ANY or in6addr_any. */
bool tcm_rs_iscsi_addr_is_any(const struct sockaddr_storage *addr);
/* A random 32-bit number (a connection's first StatSN, as LIO). */
u32 tcm_rs_iscsi_random_u32(void);

/* capable(CAP_SYS_ADMIN): reading a CHAP secret needs it, as in LIO. */
bool tcm_rs_iscsi_capable_admin(void);

/*
 * target/iscsi/cpus_allowed_list (LIO's iscsit_global->allowed_cpumask):
 * every CPU at first; the portals' listener threads started after a change
 * run on the CPUs it lists.
 */
void tcm_rs_iscsi_cpus_init(void);
/* "%*pbl\n" into buf (256 bytes); returns the length. */
ssize_t tcm_rs_iscsi_cpus_show(char *buf);
/* cpulist_parse() of what was written: 0 or -errno. */
ssize_t tcm_rs_iscsi_cpus_store(const char *buf, size_t len);

/* The port of an address, host order. */
u16 tcm_rs_iscsi_addr_port(const struct sockaddr_storage *addr);

/*
 * A command's data buffer: a scatterlist of order-0 lowmem pages (sgl_alloc)
 * of len bytes (zeroed if asked), received into and sent from in place.
 */
struct tcm_rs_iscsi_buf;
struct scatterlist;
struct tcm_rs_iscsi_buf *tcm_rs_iscsi_buf_alloc(u32 len, bool zero);
void tcm_rs_iscsi_buf_free(struct tcm_rs_iscsi_buf *b);
struct scatterlist *tcm_rs_iscsi_buf_sgl(struct tcm_rs_iscsi_buf *b,
					 unsigned int *nents);
/* Receives exactly len bytes into bytes offset.. of b. */
int tcm_rs_iscsi_sock_recv_buf(struct socket *sock, struct tcm_rs_iscsi_buf *b,
			       u32 offset, u32 len);
/* Sends hdr, then bytes offset..offset + len of b and their padding. */
int tcm_rs_iscsi_sock_send_buf(struct socket *sock, const void *hdr,
			       size_t hdr_len, struct tcm_rs_iscsi_buf *b,
			       u32 offset, u32 len);


#endif
