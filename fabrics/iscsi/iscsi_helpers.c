// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of tcm_rs_iscsi; see iscsi_helpers.h.
 */
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/uio.h>
#include <linux/scatterlist.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "iscsi_helpers.h"

/* cpus_allowed_list, under its mutex. */
static struct cpumask tcm_rs_iscsi_cpus;
static DEFINE_MUTEX(tcm_rs_iscsi_cpus_lock);

/* LIO's ISCSIT_TCP_BACKLOG. */
#define TCM_RS_ISCSI_BACKLOG 256

struct tcm_rs_iscsi_listener {
	struct socket *sock;
	struct task_struct *thread;
	void *ctx;
	void (*accepted)(void *ctx, struct socket *sock);
};

int tcm_rs_iscsi_addr_parse(const char *host, const char *port,
			    struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	return inet_pton_with_scope(&init_net, AF_UNSPEC, host, port, out);
}

bool tcm_rs_iscsi_addr_eq(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return ipv6_addr_equal(&x->sin6_addr, &y->sin6_addr) &&
		       x->sin6_port == y->sin6_port;
	}
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       x->sin_port == y->sin_port;
	}
	return false;
}

int tcm_rs_iscsi_addr_format(const struct sockaddr_storage *addr, char *buf,
			     size_t size)
{
	return scnprintf(buf, size, "%pISpc", addr);
}

static int tcm_rs_iscsi_listen_thread(void *data)
{
	struct tcm_rs_iscsi_listener *l = data;

	while (!kthread_should_stop()) {
		struct socket *conn = NULL;
		int ret = kernel_accept(l->sock, &conn, 0);

		if (!ret) {
			l->accepted(l->ctx, conn);
			continue;
		}
		/*
		 * Shut down by tcm_rs_iscsi_unlisten() (accept fails at once
		 * from then on), interrupted, or out of resources: wait a
		 * little, or until kthread_stop() wakes us.
		 */
		schedule_timeout_interruptible(HZ / 10);
	}
	return 0;
}

struct tcm_rs_iscsi_listener *
tcm_rs_iscsi_listen(const struct sockaddr_storage *addr, void *ctx,
		    void (*accepted)(void *ctx, struct socket *sock))
{
	struct tcm_rs_iscsi_listener *l;
	int len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						  sizeof(struct sockaddr_in);
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return ERR_PTR(-ENOMEM);
	l->ctx = ctx;
	l->accepted = accepted;

	ret = sock_create_kern(&init_net, addr->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &l->sock);
	if (ret < 0)
		goto free;
	tcp_sock_set_nodelay(l->sock->sk);
	sock_set_reuseaddr(l->sock->sk);
	ip_sock_set_freebind(l->sock->sk);

	ret = kernel_bind(l->sock, (struct sockaddr_unsized *)addr, len);
	if (ret < 0)
		goto release;
	ret = kernel_listen(l->sock, TCM_RS_ISCSI_BACKLOG);
	if (ret < 0)
		goto release;

	l->thread = kthread_create(tcm_rs_iscsi_listen_thread, l, "tcm_rs_iscsi_np");
	if (IS_ERR(l->thread)) {
		ret = PTR_ERR(l->thread);
		goto release;
	}
	mutex_lock(&tcm_rs_iscsi_cpus_lock);
	set_cpus_allowed_ptr(l->thread, &tcm_rs_iscsi_cpus);
	mutex_unlock(&tcm_rs_iscsi_cpus_lock);
	wake_up_process(l->thread);
	return l;

release:
	sock_release(l->sock);
free:
	kfree(l);
	return ERR_PTR(ret);
}

void tcm_rs_iscsi_unlisten(struct tcm_rs_iscsi_listener *l)
{
	/* Wakes the thread from accept(); accept fails from now on. */
	kernel_sock_shutdown(l->sock, SHUT_RDWR);
	kthread_stop(l->thread);
	sock_release(l->sock);
	kfree(l);
}

int tcm_rs_iscsi_sock_peer(struct socket *sock, struct sockaddr_storage *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kernel_getpeername(sock, (struct sockaddr *)out);
	return ret < 0 ? ret : 0;
}

void tcm_rs_iscsi_sock_close(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
}

bool tcm_rs_iscsi_capable_admin(void)
{
	return capable(CAP_SYS_ADMIN);
}

void tcm_rs_iscsi_cpus_init(void)
{
	cpumask_setall(&tcm_rs_iscsi_cpus);
}

ssize_t tcm_rs_iscsi_cpus_show(char *buf)
{
	ssize_t n;

	mutex_lock(&tcm_rs_iscsi_cpus_lock);
	n = scnprintf(buf, 256, "%*pbl\n", cpumask_pr_args(&tcm_rs_iscsi_cpus));
	mutex_unlock(&tcm_rs_iscsi_cpus_lock);
	return n;
}

ssize_t tcm_rs_iscsi_cpus_store(const char *buf, size_t len)
{
	cpumask_var_t mask;
	char *text;
	int ret;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	text = kstrndup(buf, len, GFP_KERNEL);
	if (!text) {
		free_cpumask_var(mask);
		return -ENOMEM;
	}
	ret = cpulist_parse(text, mask);
	if (!ret) {
		mutex_lock(&tcm_rs_iscsi_cpus_lock);
		cpumask_copy(&tcm_rs_iscsi_cpus, mask);
		mutex_unlock(&tcm_rs_iscsi_cpus_lock);
	}
	kfree(text);
	free_cpumask_var(mask);
	return ret;
}

struct tcm_rs_iscsi_thread {
	struct completion exited;
	void (*fn)(void *data);
	void *data;
};

static int tcm_rs_iscsi_thread_main(void *arg)
{
	struct tcm_rs_iscsi_thread *t = arg;

	t->fn(t->data);
	kthread_complete_and_exit(&t->exited, 0);
}

struct tcm_rs_iscsi_thread *tcm_rs_iscsi_thread_start(void (*fn)(void *data),
						      void *data)
{
	struct tcm_rs_iscsi_thread *t;
	struct task_struct *task;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	init_completion(&t->exited);
	t->fn = fn;
	t->data = data;
	task = kthread_create(tcm_rs_iscsi_thread_main, t, "tcm_rs_iscsi_conn");
	if (IS_ERR(task)) {
		kfree(t);
		return ERR_CAST(task);
	}
	mutex_lock(&tcm_rs_iscsi_cpus_lock);
	set_cpus_allowed_ptr(task, &tcm_rs_iscsi_cpus);
	mutex_unlock(&tcm_rs_iscsi_cpus_lock);
	wake_up_process(task);
	return t;
}

bool tcm_rs_iscsi_thread_finished(struct tcm_rs_iscsi_thread *t)
{
	return completion_done(&t->exited);
}

void tcm_rs_iscsi_thread_reap(struct tcm_rs_iscsi_thread *t)
{
	wait_for_completion(&t->exited);
	kfree(t);
}

int tcm_rs_iscsi_sock_recv(struct socket *sock, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct kvec iov = { .iov_base = buf + done, .iov_len = len - done };
		struct msghdr msg = { .msg_flags = MSG_WAITALL };
		int ret = kernel_recvmsg(sock, &msg, &iov, 1, len - done, MSG_WAITALL);

		if (ret == 0)
			return -ECONNRESET;
		if (ret < 0)
			return ret;
		done += ret;
	}
	return 0;
}

int tcm_rs_iscsi_sock_send(struct socket *sock, const void *hdr, size_t hdr_len,
			   const void *data, size_t data_len)
{
	static const u8 zeros[4];
	size_t pad = (4 - (data_len & 3)) & 3;
	struct kvec iov[3] = {
		{ .iov_base = (void *)hdr, .iov_len = hdr_len },
		{ .iov_base = (void *)data, .iov_len = data_len },
		{ .iov_base = (void *)zeros, .iov_len = pad },
	};
	size_t total = hdr_len + data_len + pad;
	int n = data_len ? (pad ? 3 : 2) : 1;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	ret = kernel_sendmsg(sock, &msg, iov, n, total);
	if (ret < 0)
		return ret;
	/* A blocking socket sends all of it or fails. */
	return (size_t)ret == total ? 0 : -EIO;
}

int tcm_rs_iscsi_sock_local(struct socket *sock, struct sockaddr_storage *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kernel_getsockname(sock, (struct sockaddr *)out);
	return ret < 0 ? ret : 0;
}

void tcm_rs_iscsi_sock_timeout(struct socket *sock, unsigned int secs)
{
	WRITE_ONCE(sock->sk->sk_rcvtimeo, secs ? secs * HZ : MAX_SCHEDULE_TIMEOUT);
}

void tcm_rs_iscsi_sock_shutdown(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
}

void tcm_rs_iscsi_sock_release(struct socket *sock)
{
	sock_release(sock);
}

bool tcm_rs_iscsi_addr_is_any(const struct sockaddr_storage *addr)
{
	return inet_addr_is_any((struct sockaddr_storage *)addr);
}

u32 tcm_rs_iscsi_random_u32(void)
{
	return get_random_u32();
}

u16 tcm_rs_iscsi_addr_port(const struct sockaddr_storage *addr)
{
	if (addr->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	if (addr->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)addr)->sin_port);
	return 0;
}

struct tcm_rs_iscsi_buf {
	struct scatterlist *sgl;
	unsigned int nents;
	u32 len;
};

struct tcm_rs_iscsi_buf *tcm_rs_iscsi_buf_alloc(u32 len, bool zero)
{
	struct tcm_rs_iscsi_buf *b;

	if (!len)
		return ERR_PTR(-EINVAL);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	/* Order-0 lowmem pages: page_address() maps each. */
	b->sgl = sgl_alloc(len, GFP_KERNEL | __GFP_NOWARN | (zero ? __GFP_ZERO : 0),
			   &b->nents);
	if (!b->sgl) {
		kfree(b);
		return ERR_PTR(-ENOMEM);
	}
	b->len = len;
	return b;
}

void tcm_rs_iscsi_buf_free(struct tcm_rs_iscsi_buf *b)
{
	sgl_free(b->sgl);
	kfree(b);
}

struct scatterlist *tcm_rs_iscsi_buf_sgl(struct tcm_rs_iscsi_buf *b,
					 unsigned int *nents)
{
	*nents = b->nents;
	return b->sgl;
}

/*
 * The entry of b holding byte offset, and the offset inside it; NULL past
 * the end.
 */
static struct scatterlist *tcm_rs_iscsi_buf_seek(struct tcm_rs_iscsi_buf *b,
						 u32 offset, u32 *in)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(b->sgl, sg, b->nents, i) {
		if (offset < sg->length) {
			*in = offset;
			return sg;
		}
		offset -= sg->length;
	}
	return NULL;
}

int tcm_rs_iscsi_sock_recv_buf(struct socket *sock, struct tcm_rs_iscsi_buf *b,
			       u32 offset, u32 len)
{
	struct scatterlist *sg;
	u32 in;

	if (offset > b->len || len > b->len - offset)
		return -EINVAL;
	if (!len)
		return 0;
	sg = tcm_rs_iscsi_buf_seek(b, offset, &in);
	while (len && sg) {
		u32 n = min(len, sg->length - in);
		int ret = tcm_rs_iscsi_sock_recv(sock,
			page_address(sg_page(sg)) + sg->offset + in, n);

		if (ret)
			return ret;
		len -= n;
		in = 0;
		sg = sg_next(sg);
	}
	return len ? -EINVAL : 0;
}

#define TCM_RS_ISCSI_SEND_IOV 16

int tcm_rs_iscsi_sock_send_buf(struct socket *sock, const void *hdr,
			       size_t hdr_len, struct tcm_rs_iscsi_buf *b,
			       u32 offset, u32 len)
{
	static const u8 zeros[4];
	struct kvec iov[TCM_RS_ISCSI_SEND_IOV];
	size_t pad = (4 - (len & 3)) & 3;
	struct scatterlist *sg = NULL;
	bool header = true;
	u32 in = 0;

	if (offset > b->len || len > b->len - offset)
		return -EINVAL;
	if (len)
		sg = tcm_rs_iscsi_buf_seek(b, offset, &in);
	for (;;) {
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
		size_t total = 0;
		int n = 0, ret;

		if (header) {
			iov[n].iov_base = (void *)hdr;
			iov[n++].iov_len = hdr_len;
			total += hdr_len;
			header = false;
		}
		while (len && sg && n < TCM_RS_ISCSI_SEND_IOV - 1) {
			u32 piece = min(len, sg->length - in);

			iov[n].iov_base = page_address(sg_page(sg)) + sg->offset + in;
			iov[n++].iov_len = piece;
			total += piece;
			len -= piece;
			in = 0;
			sg = sg_next(sg);
		}
		if (len && !sg)
			return -EINVAL;
		if (!len && pad) {
			iov[n].iov_base = (void *)zeros;
			iov[n++].iov_len = pad;
			total += pad;
			pad = 0;
		}
		if (len)
			msg.msg_flags |= MSG_MORE;
		ret = kernel_sendmsg(sock, &msg, iov, n, total);
		if (ret < 0)
			return ret;
		if ((size_t)ret != total)
			return -EIO;
		if (!len)
			return 0;
	}
}

