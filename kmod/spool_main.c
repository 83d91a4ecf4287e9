// SPDX-License-Identifier: GPL-2.0
/*
 * spool_main.c - /dev/spool: a pool of the caller's sockets with in-kernel
 * readiness tracking and batched accept, receive and send.
 *
 * The ABI, and every error it returns, is documented in
 * include/uapi/spool.h.
 *
 * Readiness is tracked as fs/eventpoll.c does it: every registered file
 * gets a wait-queue entry on each wait queue its ->poll() names, and the
 * wake-up callback puts the item on the pool's ready list.  Collection
 * re-polls each item on that list, reports it if it is ready and, unless it
 * is one-shot, leaves it on the list, so that readiness is level-triggered.
 *
 * LOCKING:
 * Two locks per pool, and the wait-queue lock of each registered file,
 * taken in this order:
 *
 *   pool->mtx			(mutex)
 *     a file's wait-queue lock	(the wake-up callback runs under it)
 *       pool->lock		(spinlock, interrupts off)
 *
 * pool->mtx serialises every operation on the registrations (register,
 * modify, unregister, the sweeps, collection with the cycle's accept and
 * receive, release); it may sleep, and is held across vfs_poll() and the
 * socket calls.  pool->lock guards the ready list, every item's rdlink
 * and the pending wake; the wake-up callback (spool_wake_cb(), perhaps in
 * softirq) takes only pool->lock, under the wait queue's own lock, so
 * pool->lock is always taken with interrupts off and never held across
 * anything that sleeps.  A walk of the ready list (spool_start_scan())
 * moves it aside under pool->lock and polls each item with only pool->mtx
 * held, as fs/eventpoll.c's ep_start_scan() does.  The module-wide release
 * list (spool_release_list) is lock-free (llist).  Each struct says which
 * lock guards which field.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/llist.h>
#include <linux/magic.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "uapi/spool.h"
#include "spool_internal.h"
#include "spool_compat.h"

/* Limits, each a module parameter checked against a range when set. */
static unsigned int max_files = 65536;
static unsigned int max_batch = 1024;
static unsigned int max_arena = 16 << 20;
static unsigned int sweep_batch = 64;

/* A limit's range and the variable it guards. */
struct spool_param {
	unsigned int min, max;
	unsigned int *var;
};

static int spool_param_store(const char *val, const struct kernel_param *kp)
{
	const struct spool_param *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < p->min || v > p->max)
		return -EINVAL;
	WRITE_ONCE(*p->var, v);
	return 0;
}

static int spool_param_show(char *buf, const struct kernel_param *kp)
{
	const struct spool_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->var));
}

static const struct kernel_param_ops spool_param_ops = {
	.set = spool_param_store,
	.get = spool_param_show,
};

#define SPOOL_PARAM(name, lo, hi, desc)					\
	static const struct spool_param spool_param_##name = {		\
		.min = (lo), .max = (hi), .var = &(name),	\
	};								\
	module_param_cb(name, &spool_param_ops,				\
			(void *)&spool_param_##name, 0644);		\
	MODULE_PARM_DESC(name, desc " (" #lo " to " #hi ")")

SPOOL_PARAM(max_files, 1, 1 << 24, "registrations per pool");
SPOOL_PARAM(max_batch, 1, 65536, "items per call: events, connections, descriptors");
SPOOL_PARAM(max_arena, 4096, 1 << 30, "bytes of a cycle's receive arena");
SPOOL_PARAM(sweep_batch, 0, 1 << 24, "registrations each wait checks for a closed fd");

/*
 * Whom batched accept may serve without security_socket_accept(): see
 * spool_accept_permitted().  Read once per batch with READ_ONCE(); root
 * changes it at any time through /sys/module/spool/parameters.
 */
enum spool_unchecked {
	SPOOL_UNCHECKED_UNCONFINED,	/* tasks no labelling LSM confines */
	SPOOL_UNCHECKED_NEVER,		/* no one: every batched accept EPERM */
	SPOOL_UNCHECKED_ALWAYS,		/* everyone: the LSM is not asked */
};

static const char * const spool_unchecked_names[] = {
	[SPOOL_UNCHECKED_UNCONFINED]	= "unconfined",
	[SPOOL_UNCHECKED_NEVER]		= "never",
	[SPOOL_UNCHECKED_ALWAYS]	= "always",
};

static int unchecked_accept = SPOOL_UNCHECKED_UNCONFINED;

static int spool_unchecked_store(const char *val,
				 const struct kernel_param *kp)
{
	int i = sysfs_match_string(spool_unchecked_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(unchecked_accept, i);
	return 0;
}

static int spool_unchecked_show(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  spool_unchecked_names[READ_ONCE(unchecked_accept)]);
}

static const struct kernel_param_ops spool_unchecked_ops = {
	.set = spool_unchecked_store,
	.get = spool_unchecked_show,
};

module_param_cb(unchecked_accept, &spool_unchecked_ops, NULL, 0644);
MODULE_PARM_DESC(unchecked_accept,
		 "who may accept in batches, unchecked by the LSM socket_accept hook: unconfined (default), never, always");

/* A sleeping wait checks every registration for a closed fd this often. */
#define SPOOL_SWEEP_PERIOD_MS	1000
#define SPOOL_TIMER_SLACK_NS	50000

/* Events a registration is always told of, as in epoll. */
#define SPOOL_ALWAYS	(EPOLLERR | EPOLLHUP)

struct spool_item;

/* One wait-queue entry of an item on a wait queue of its file. */
struct spool_pwq {
	struct wait_queue_entry wait;
	/*
	 * The wait queue the entry is on.  Cleared (with release semantics)
	 * by the callback when the queue's owner sends POLLFREE, as
	 * fs/eventpoll.c does, so removal knows it is gone.
	 */
	wait_queue_head_t *whead;
	struct spool_item *item;
	struct spool_pwq *next;
};

/*
 * A registration.  Created, changed and freed under pool->mtx.  The fields
 * the wake-up callback reads (pool, events) are read with READ_ONCE().
 */
struct spool_item {
	struct spool_pool *pool;
	struct file *file;		/* holds a reference */
	int fd;				/* the number it was registered under */
	__u32 events;			/* interest; 0 once a one-shot fired */
	__u32 flags;			/* SPOOL_F_* */
	/*
	 * A send on this fd came back short: report SPOOL_OUT once, whatever
	 * the interest, so that a cycle that sent and then sleeps wakes to
	 * send the rest.  Set and cleared under pool->mtx; read by the
	 * callback with READ_ONCE().
	 */
	bool out_once;
	__u64 cookie;
	struct list_head rdlink;	/* on pool->rdllist; see pool->lock */
	struct spool_pwq *pwqs;		/* this item's wait-queue entries */
	int pwq_err;			/* -ENOMEM if an entry could not be added */
	struct llist_node release;	/* on spool_release_list once detached */
};

/* One accepted connection not yet given its fd. */
struct spool_newconn {
	struct file *file;
	int fd;
	struct spool_item *item;	/* its registration, or NULL */
};

struct spool_pool {
	/*
	 * Serialises every operation on the registrations: register,
	 * modify, unregister, sweep, collection (and with it the cycle's
	 * accept and receive) and release.  Guards items, nr_items,
	 * sweep_next and the buffers below.  Never taken in the wake-up
	 * callback.
	 */
	struct mutex mtx;
	struct xarray items;		/* fd -> struct spool_item */
	unsigned int nr_items;
	unsigned long sweep_next;	/* next fd the per-call sweep checks */

	/* Per-pool buffers of the last collection, grown on demand. */
	struct spool_event *evbuf;
	unsigned int evbuf_cap;
	struct spool_conn *conbuf;
	struct spool_newconn *newbuf;
	unsigned int conbuf_cap;

	/*
	 * Guards rdllist, every item's rdlink and wake_pending.  Taken with
	 * interrupts off: the wake-up callback runs in softirq context.
	 */
	spinlock_t lock;
	struct list_head rdllist;	/* items that may be ready */
	bool wake_pending;

	/* Waits and cycles sleep here; poll() on the pool waits here. */
	wait_queue_head_t wq;

	struct pid *owner;		/* thread group that opened the pool */
};

static struct kmem_cache *spool_item_cache __read_mostly;
static struct kmem_cache *spool_pwq_cache __read_mostly;
static const struct file_operations spool_fops;

/* The state of one cycle call, for the actions done at collection. */
struct spool_cycle_ctx {
	const struct spool_cycle *c;
	u32 arena_used;
	u32 nr_conns;
};

/* ---- readiness ---------------------------------------------------------- */

static void spool_wake_waiters(struct spool_pool *pool)
{
	if (wq_has_sleeper(&pool->wq))
		wake_up_poll(&pool->wq, EPOLLIN | EPOLLRDNORM);
}

/* What the item is to be told of: its interest, and a pending short send. */
static __u32 spool_interest(struct spool_item *item)
{
	return READ_ONCE(item->events) |
	       (READ_ONCE(item->out_once) ? EPOLLOUT : 0);
}

/* Called with the file's wait-queue lock held, possibly in softirq. */
static int spool_wake_cb(struct wait_queue_entry *wait, unsigned int mode,
			 int sync, void *key)
{
	struct spool_pwq *pwq = container_of(wait, struct spool_pwq, wait);
	struct spool_item *item = pwq->item;
	struct spool_pool *pool = item->pool;
	__poll_t pollflags = key_to_poll(key);
	__u32 interest = spool_interest(item);
	unsigned long flags;

	if (!interest)
		goto out;		/* a one-shot that fired */
	if (pollflags && !(pollflags & (interest | SPOOL_ALWAYS)))
		goto out;

	spin_lock_irqsave(&pool->lock, flags);
	if (list_empty(&item->rdlink))
		list_add_tail(&item->rdlink, &pool->rdllist);
	spin_unlock_irqrestore(&pool->lock, flags);
	spool_wake_waiters(pool);
out:
	if (pollflags & POLLFREE) {
		/*
		 * The queue is going away: leave it, as eventpoll does.  Its
		 * owner frees it only after an RCU grace period.
		 */
		list_del_init(&wait->entry);
		/* Pairs with smp_load_acquire() in spool_item_unhook(). */
		smp_store_release(&pwq->whead, NULL);
	}
	return 0;
}

struct spool_pqueue {
	poll_table pt;
	struct spool_item *item;
};

/* The poll_table callback: hooks the item to one wait queue of its file. */
static void spool_ptable_queue(struct file *file, wait_queue_head_t *whead,
			       poll_table *pt)
{
	struct spool_item *item = container_of(pt, struct spool_pqueue, pt)->item;
	struct spool_pwq *pwq;

	if (item->pwq_err)
		return;
	pwq = kmem_cache_alloc(spool_pwq_cache, GFP_KERNEL_ACCOUNT);
	if (!pwq) {
		item->pwq_err = -ENOMEM;
		return;
	}
	init_waitqueue_func_entry(&pwq->wait, spool_wake_cb);
	pwq->whead = whead;
	pwq->item = item;
	pwq->next = item->pwqs;
	item->pwqs = pwq;
	add_wait_queue(whead, &pwq->wait);
}

static void spool_item_unhook(struct spool_item *item)
{
	struct spool_pwq *pwq, *next;

	for (pwq = item->pwqs; pwq; pwq = next) {
		wait_queue_head_t *whead;

		next = pwq->next;
		/*
		 * A NULL whead means POLLFREE took the entry off already.  A
		 * POLLFREE sender frees its queue only after an RCU grace
		 * period, so the queue is safe to use under rcu_read_lock().
		 */
		rcu_read_lock();
		/* Pairs with smp_store_release() in spool_wake_cb(). */
		whead = smp_load_acquire(&pwq->whead);
		if (whead)
			remove_wait_queue(whead, &pwq->wait);
		rcu_read_unlock();
		kmem_cache_free(spool_pwq_cache, pwq);
	}
	item->pwqs = NULL;
}

static void spool_rdl_add(struct spool_pool *pool, struct spool_item *item)
{
	spin_lock_irq(&pool->lock);
	if (list_empty(&item->rdlink))
		list_add_tail(&item->rdlink, &pool->rdllist);
	spin_unlock_irq(&pool->lock);
}

static void spool_mark_ready(struct spool_pool *pool, struct spool_item *item)
{
	spool_rdl_add(pool, item);
	spool_wake_waiters(pool);
}

/* ---- registrations ------------------------------------------------------ */

static bool spool_is_pool(struct file *file)
{
	return file->f_op == &spool_fops;
}

/*
 * An epoll file may hold this pool, so holding it in turn could close a
 * loop that epoll's own loop check cannot see through the pool: the poll
 * and wake-up paths would recurse.  eventpoll_fops is not exported; an
 * epoll file is the anonymous inode named "[eventpoll]".
 */
static bool spool_is_epoll(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[eventpoll]");
}

/* True when the caller's fd no longer names the registered file. */
static bool spool_item_stale(struct spool_item *item)
{
	bool stale;

	rcu_read_lock();
	stale = spool_lookup_fd_rcu(item->fd) != item->file;
	rcu_read_unlock();
	return stale;
}

/* Takes the item out of the pool; no callback runs for it afterwards. */
static void spool_item_detach(struct spool_pool *pool, struct spool_item *item)
{
	lockdep_assert_held(&pool->mtx);

	/* After this no callback runs for the item: they hold the queue lock. */
	spool_item_unhook(item);
	spin_lock_irq(&pool->lock);
	list_del_init(&item->rdlink);
	spin_unlock_irq(&pool->lock);

	xa_erase(&pool->items, item->fd);
	pool->nr_items--;
	spool_stat_add(SPOOL_STAT_FILES, -1);
}

static void spool_item_remove(struct spool_pool *pool, struct spool_item *item)
{
	spool_item_detach(pool, item);
	fput(item->file);
	kmem_cache_free(spool_item_cache, item);
}

/*
 * Items whose fd the owner closed.  Ours is then likely the last reference
 * to the file, and an fput() from the owner's task would be deferred until
 * it returns to user space, which a wait or cycle that goes on to sleep
 * does not do: the socket would stay open and its peer would see no FIN.
 * A worker drops them instead; fput() from a kernel thread releases the
 * file within a jiffy.
 */
static LLIST_HEAD(spool_release_list);

static void spool_release_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&spool_release_list);
	struct spool_item *item, *next;

	llist_for_each_entry_safe(item, next, list, release) {
		fput(item->file);
		kmem_cache_free(spool_item_cache, item);
	}
}

static DECLARE_WORK(spool_release_work, spool_release_fn);

static void spool_drop_stale(struct spool_pool *pool, struct spool_item *item)
{
	pr_debug("fd %d closed while registered: dropped\n", item->fd);
	spool_stat_add(SPOOL_STAT_STALE_DROPPED, 1);
	spool_item_detach(pool, item);
	if (llist_add(&item->release, &spool_release_list))
		schedule_work(&spool_release_work);
}

/*
 * A send on sock came back short: have the registration of fd, if it is
 * this socket's, report SPOOL_OUT once when there is room again.
 */
static void spool_arm_out(struct spool_pool *pool, int fd, struct file *file)
{
	struct spool_item *item;

	mutex_lock(&pool->mtx);
	item = xa_load(&pool->items, fd);
	if (item && item->file == file) {
		WRITE_ONCE(item->out_once, true);
		if (vfs_poll(file, NULL) & EPOLLOUT)
			spool_mark_ready(pool, item);
	}
	mutex_unlock(&pool->mtx);
}

/* Checks up to budget registrations, round robin, for a closed fd. */
static void spool_sweep(struct spool_pool *pool, unsigned int budget)
{
	struct spool_item *item;
	unsigned long index;

	lockdep_assert_held(&pool->mtx);
	if (!budget || !pool->nr_items)
		return;
	budget = min(budget, pool->nr_items);

	index = pool->sweep_next;
	while (budget--) {
		item = xa_find(&pool->items, &index, ULONG_MAX, XA_PRESENT);
		if (!item) {
			index = 0;
			item = xa_find(&pool->items, &index, ULONG_MAX,
				       XA_PRESENT);
			if (!item)
				break;
		}
		if (spool_item_stale(item))
			spool_drop_stale(pool, item);
		index++;
	}
	pool->sweep_next = index;
}

static int spool_check_reg(const struct spool_reg *reg)
{
	if (reg->reserved || (reg->events & ~SPOOL_EVENTS) ||
	    (reg->flags & ~SPOOL_F_ALL))
		return -EINVAL;
	if ((reg->flags & SPOOL_F_ACCEPT) && (reg->flags & SPOOL_F_RECV))
		return -EINVAL;
	return 0;
}

/* Checks that file can carry the I/O flags asked for. */
static int spool_check_file(struct file *file, __u32 flags)
{
	struct socket *sock;

	if (spool_is_pool(file) || spool_is_epoll(file))
		return -EINVAL;
	if (!file_can_poll(file))
		return -EPERM;
	if (!(flags & (SPOOL_F_ACCEPT | SPOOL_F_RECV)))
		return 0;
	sock = sock_from_file(file);
	if (!sock)
		return -ENOTSOCK;
	if (sock->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Adds a registration of file under fd.  Takes its own reference to the
 * file.  The caller has checked file and reg.
 */
static int spool_item_add(struct spool_pool *pool, struct file *file, int fd,
			  __u32 events, __u32 flags, __u64 cookie)
{
	struct spool_pqueue pq;
	struct spool_item *item;
	__poll_t revents;
	int ret;

	lockdep_assert_held(&pool->mtx);
	if (pool->nr_items >= READ_ONCE(max_files))
		return -ENOSPC;

	item = kmem_cache_zalloc(spool_item_cache, GFP_KERNEL_ACCOUNT);
	if (!item)
		return -ENOMEM;
	item->pool = pool;
	item->file = get_file(file);
	item->fd = fd;
	item->events = events;
	item->flags = flags;
	item->cookie = cookie;
	INIT_LIST_HEAD(&item->rdlink);

	ret = xa_insert(&pool->items, fd, item, GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(file);
		kmem_cache_free(spool_item_cache, item);
		return ret == -EBUSY ? -EEXIST : ret;
	}
	pool->nr_items++;
	spool_stat_add(SPOOL_STAT_FILES, 1);

	pq.item = item;
	init_poll_funcptr(&pq.pt, spool_ptable_queue);
	revents = vfs_poll(file, &pq.pt);
	if (item->pwq_err) {
		ret = item->pwq_err;
		spool_item_remove(pool, item);
		return ret;
	}
	if (revents & (events | SPOOL_ALWAYS))
		spool_mark_ready(pool, item);
	pr_debug("registered fd %d events %#x flags %#x\n", fd, events, flags);
	return 0;
}

static bool spool_fd_open(int fd)
{
	bool open;

	if (fd < 0)
		return false;
	rcu_read_lock();
	open = !!spool_lookup_fd_rcu(fd);
	rcu_read_unlock();
	return open;
}

/* Looks up the live registration of fd; drops it if the fd was closed. */
static struct spool_item *spool_item_find(struct spool_pool *pool, int fd)
{
	struct spool_item *item;

	lockdep_assert_held(&pool->mtx);
	if (fd < 0)
		return NULL;
	item = xa_load(&pool->items, fd);
	if (item && spool_item_stale(item)) {
		spool_drop_stale(pool, item);
		item = NULL;
	}
	return item;
}

/* The three registration operations, on a kernel copy of struct spool_reg. */
static int spool_do_register(struct spool_pool *pool,
			     const struct spool_reg *reg)
{
	struct file *file;
	int ret;

	spool_stat_add(SPOOL_STAT_REGISTERS, 1);
	ret = spool_check_reg(reg);
	if (ret)
		return ret;
	file = fget(reg->fd);
	if (!file)
		return -EBADF;
	ret = spool_check_file(file, reg->flags);
	if (ret)
		goto out_fput;

	mutex_lock(&pool->mtx);
	if (spool_item_find(pool, reg->fd))
		ret = -EEXIST;
	else
		ret = spool_item_add(pool, file, reg->fd, reg->events,
				     reg->flags, reg->cookie);
	mutex_unlock(&pool->mtx);
out_fput:
	fput(file);
	return ret;
}

static int spool_do_modify(struct spool_pool *pool, const struct spool_reg *reg)
{
	struct spool_item *item;
	int ret;

	spool_stat_add(SPOOL_STAT_MODIFIES, 1);
	ret = spool_check_reg(reg);
	if (ret)
		return ret;

	mutex_lock(&pool->mtx);
	item = spool_item_find(pool, reg->fd);
	if (!item) {
		ret = spool_fd_open(reg->fd) ? -ENOENT : -EBADF;
		goto out_unlock;
	}
	ret = spool_check_file(item->file, reg->flags);
	if (ret)
		goto out_unlock;
	item->flags = reg->flags;
	item->cookie = reg->cookie;
	WRITE_ONCE(item->events, reg->events);
	/* Re-arm: report it if it is ready now, as EPOLL_CTL_MOD does. */
	if (vfs_poll(item->file, NULL) & (reg->events | SPOOL_ALWAYS))
		spool_mark_ready(pool, item);
out_unlock:
	mutex_unlock(&pool->mtx);
	return ret;
}

static int spool_do_unregister(struct spool_pool *pool,
			       const struct spool_reg *reg)
{
	struct spool_item *item;
	int ret = 0;

	spool_stat_add(SPOOL_STAT_UNREGISTERS, 1);
	if (reg->events || reg->flags || reg->reserved || reg->cookie)
		return -EINVAL;

	mutex_lock(&pool->mtx);
	item = spool_item_find(pool, reg->fd);
	if (item)
		spool_item_remove(pool, item);
	else
		ret = spool_fd_open(reg->fd) ? -ENOENT : -EBADF;
	mutex_unlock(&pool->mtx);
	return ret;
}

static int spool_ioc_reg(struct spool_pool *pool, void __user *argp,
			 int (*op)(struct spool_pool *,
				   const struct spool_reg *))
{
	struct spool_reg reg;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	return op(pool, &reg);
}

/* One change of a cycle's batch; returns its result. */
static int spool_ctl_do(struct spool_pool *pool, const struct spool_ctl *ctl)
{
	struct spool_reg reg = {
		.fd = ctl->fd,
		.events = ctl->events,
		.flags = ctl->flags,
		.cookie = ctl->cookie,
	};

	if (ctl->reserved)
		return -EINVAL;
	switch (ctl->op) {
	case SPOOL_CTL_REGISTER:
		return spool_do_register(pool, &reg);
	case SPOOL_CTL_MODIFY:
		return spool_do_modify(pool, &reg);
	case SPOOL_CTL_UNREGISTER:
		return spool_do_unregister(pool, &reg);
	}
	return -EINVAL;
}

/* Applies n changes from the user array uctl, writing each result back. */
static int spool_ctl_batch(struct spool_pool *pool,
			   struct spool_ctl __user *uctl, u32 n)
{
	struct spool_ctl ctl;
	u32 i;

	for (i = 0; i < n; i++) {
		if (copy_from_user(&ctl, &uctl[i], sizeof(ctl)))
			return -EFAULT;
		if (put_user(spool_ctl_do(pool, &ctl), &uctl[i].result))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}

/* ---- socket I/O --------------------------------------------------------- */

/* Receives into or sends from one user buffer; never blocks. */
static int spool_sock_io(struct socket *sock, void __user *buf, u32 len,
			 bool send)
{
	struct msghdr msg = {};
	int ret;

	ret = spool_import_ubuf(send ? ITER_SOURCE : ITER_DEST, buf, len,
				&msg.msg_iter);
	if (ret)
		return ret;
	if (send) {
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		ret = sock_sendmsg(sock, &msg);
		if (ret > 0)
			spool_stat_add(SPOOL_STAT_BYTES_OUT, ret);
	} else {
		ret = sock_recvmsg(sock, &msg, MSG_DONTWAIT);
		if (ret > 0)
			spool_stat_add(SPOOL_STAT_BYTES_IN, ret);
	}
	return ret;
}

/* Does one descriptor of a bulk read or write; returns its result. */
static int spool_iov_do(struct spool_pool *pool, const struct spool_iov *iov,
			bool send)
{
	struct socket *sock;
	int ret;

	if (iov->flags || !iov->len || iov->len > INT_MAX)
		return -EINVAL;
	sock = sockfd_lookup(iov->fd, &ret);
	if (!sock)
		return ret;
	if (sock->type != SOCK_STREAM) {
		ret = -EOPNOTSUPP;
	} else {
		ret = spool_sock_io(sock, u64_to_user_ptr(iov->buf), iov->len,
				    send);
		if (send && (ret == -EAGAIN || (ret >= 0 && ret < iov->len)))
			spool_arm_out(pool, iov->fd, sock->file);
	}
	sockfd_put(sock);
	return ret;
}

/*
 * Runs n descriptors from the user array uiov, writing each result back.
 * Each descriptor is copied in once, so a concurrent change of the array
 * by user space cannot make the kernel act on a value it did not check.
 */
static int spool_iov_batch(struct spool_pool *pool,
			   struct spool_iov __user *uiov, u32 n, bool send)
{
	struct spool_iov iov;
	u32 i;

	for (i = 0; i < n; i++) {
		if (copy_from_user(&iov, &uiov[i], sizeof(iov)))
			return -EFAULT;
		iov.result = spool_iov_do(pool, &iov, send);
		iov.flags = (!send && iov.result == 0) ? SPOOL_IOV_EOF : 0;
		if (put_user(iov.result, &uiov[i].result) ||
		    put_user(iov.flags, &uiov[i].flags))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}

static ssize_t spool_bulk(struct file *file, char __user *buf, size_t count,
			  bool send)
{
	struct spool_pool *pool = file->private_data;
	size_t n = count / sizeof(struct spool_iov);
	int ret;

	if (task_tgid(current) != pool->owner)
		return -EBADFD;
	spool_stat_add(send ? SPOOL_STAT_WRITE_CALLS : SPOOL_STAT_READ_CALLS, 1);
	if (!count || count % sizeof(struct spool_iov) ||
	    n > READ_ONCE(max_batch))
		return -EINVAL;
	spool_stat_add(send ? SPOOL_STAT_WRITE_ITEMS : SPOOL_STAT_READ_ITEMS, n);
	ret = spool_iov_batch(pool, (struct spool_iov __user *)buf, n, send);
	return ret ? ret : count;
}

static ssize_t spool_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	return spool_bulk(file, buf, count, false);
}

static ssize_t spool_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	/* The descriptors get their results back: see include/uapi/spool.h. */
	return spool_bulk(file, (char __user *)buf, count, true);
}

/* ---- accept ------------------------------------------------------------- */

/*
 * Batched accept cannot pass the LSM hook accept(2) passes.
 * security_socket_accept() is exported to modules by neither 6.1 nor 6.12,
 * nor is anything that calls it (do_accept(), io_uring's caller, is
 * built in; kernel_accept() is for kernel sockets and calls no accept
 * hook).  SELinux, AppArmor and the BPF LSM hook socket_accept.  So a
 * batch is refused with EPERM, before any connection is taken off the
 * backlog, whenever an LSM might have refused the accept: then the caller
 * accepts with accept4(2), which asks it.
 *
 * Which tasks "might" is what the module can see.  A labelling LSM gives
 * every task it confines a security context; AppArmor's unconfined label,
 * whose hook allows every accept, reads "unconfined"; a task with no
 * context (secid 0) has no labelling LSM.  Those two are served; every
 * other context (any AppArmor profile, any SELinux or Smack domain) is
 * refused.  What the module cannot see is a BPF LSM program attached to
 * socket_accept: an administrator who attaches one sets
 * spool.unchecked_accept=never.  spool.unchecked_accept=always serves
 * everyone, as the module did before this check, for a host whose policy
 * lets every member of the device's group accept.  Kallsyms lookups of
 * the hook would not pass review, and are not used.
 */
static int spool_accept_permitted(void)
{
	u32 secid = 0, len;
	char *ctx;
	int ret;

	switch (READ_ONCE(unchecked_accept)) {
	case SPOOL_UNCHECKED_ALWAYS:
		return 0;
	case SPOOL_UNCHECKED_NEVER:
		return -EPERM;
	}
	security_current_getsecid_subj(&secid);
	if (!secid)
		return 0;
	if (security_secid_to_secctx(secid, &ctx, &len))
		return -EPERM;
	ret = (len == sizeof("unconfined") - 1 &&
	       !memcmp(ctx, "unconfined", len)) ? 0 : -EPERM;
	security_release_secctx(ctx, len);
	return ret;
}

/*
 * Accepts one connection from the listening socket lsock without blocking,
 * as do_accept() in net/socket.c does, into a new file with file_flags,
 * but for security_socket_accept(): spool_accept_permitted() stands in.
 * The protocol's accept still grafts the new sock (sock_graft() calls
 * security_sock_graft()), and every later send and receive goes through
 * sock_sendmsg() and sock_recvmsg() and their hooks.
 */
static struct file *spool_accept_one(struct socket *lsock, int file_flags,
				     struct spool_conn *conn)
{
	struct sockaddr_storage addr;
	struct socket *newsock;
	struct file *newfile;
	int ret, len;

	newsock = sock_alloc();
	if (!newsock)
		return ERR_PTR(-ENFILE);
	newsock->type = lsock->type;
	newsock->ops = lsock->ops;
	/* The listener holds the protocol module; see do_accept(). */
	__module_get(newsock->ops->owner);

	ret = spool_proto_accept(lsock, newsock, O_NONBLOCK);
	if (ret < 0)
		goto out_release;
	len = newsock->ops->getname(newsock, (struct sockaddr *)&addr, 2);
	if (len < 0) {
		ret = -ECONNABORTED;
		goto out_release;
	}
	/* Like accept(2), addrlen is the full length even when truncated. */
	conn->addrlen = len;
	memcpy(conn->addr, &addr, min_t(int, len, sizeof(conn->addr)));

	/* sock_alloc_file() releases newsock when it fails. */
	newfile = sock_alloc_file(newsock, file_flags,
				  lsock->sk->sk_prot_creator->name);
	return newfile;

out_release:
	sock_release(newsock);
	return ERR_PTR(ret);
}

static int spool_check_accept_flags(__u32 flags, __u32 events, __u32 reg_flags)
{
	if ((flags & ~SPOOL_ACCEPT_ALL) || (events & ~SPOOL_EVENTS) ||
	    (reg_flags & ~(SPOOL_F_ONESHOT | SPOOL_F_RECV)))
		return -EINVAL;
	if (!(flags & SPOOL_ACCEPT_REGISTER) && (events || reg_flags))
		return -EINVAL;
	return 0;
}

static int spool_conbuf_reserve(struct spool_pool *pool, unsigned int n)
{
	lockdep_assert_held(&pool->mtx);
	if (n <= pool->conbuf_cap)
		return 0;
	kvfree(pool->conbuf);
	kvfree(pool->newbuf);
	pool->conbuf_cap = 0;
	pool->conbuf = kvmalloc_array(n, sizeof(*pool->conbuf),
				      GFP_KERNEL_ACCOUNT);
	pool->newbuf = kvmalloc_array(n, sizeof(*pool->newbuf),
				      GFP_KERNEL_ACCOUNT);
	if (!pool->conbuf || !pool->newbuf) {
		kvfree(pool->conbuf);
		kvfree(pool->newbuf);
		pool->conbuf = NULL;
		pool->newbuf = NULL;
		return -ENOMEM;
	}
	pool->conbuf_cap = n;
	return 0;
}

/*
 * Accepts up to max connections from lsock into pool->conbuf and
 * pool->newbuf from index first on, reserving an fd for each and, with
 * SPOOL_ACCEPT_REGISTER, registering it.  The fds are installed later, by
 * spool_accept_commit(), once the results reached user space.  Returns
 * the number accepted, or -errno if there was none.
 */
static int spool_accept_batch(struct spool_pool *pool, struct socket *lsock,
			      unsigned int first, unsigned int max,
			      __u32 flags, __u32 events, __u32 reg_flags)
{
	int fd_flags = (flags & SPOOL_ACCEPT_CLOEXEC) ? O_CLOEXEC : 0;
	int file_flags = (flags & SPOOL_ACCEPT_NONBLOCK) ? O_NONBLOCK : 0;
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&pool->mtx);
	if (lsock->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (lsock->sk->sk_state != TCP_LISTEN)
		return -EINVAL;
	ret = spool_accept_permitted();
	if (ret) {
		spool_stat_add(SPOOL_STAT_ACCEPT_REFUSED, 1);
		return ret;
	}

	for (i = first; i < first + max; i++) {
		struct spool_conn *conn = &pool->conbuf[i];
		struct spool_newconn *nc = &pool->newbuf[i];
		struct file *file;
		int fd;

		fd = get_unused_fd_flags(fd_flags);
		if (fd < 0) {
			ret = fd;
			break;
		}
		memset(conn, 0, sizeof(*conn));
		file = spool_accept_one(lsock, file_flags, conn);
		if (IS_ERR(file)) {
			put_unused_fd(fd);
			ret = PTR_ERR(file);
			break;
		}
		/* A stale registration may still hold the number: drop it. */
		spool_item_find(pool, fd);
		conn->fd = fd;
		nc->file = file;
		nc->fd = fd;
		nc->item = NULL;
		if (flags & SPOOL_ACCEPT_REGISTER) {
			conn->reg = spool_item_add(pool, file, fd, events,
						   reg_flags, fd);
			if (!conn->reg)
				nc->item = xa_load(&pool->items, fd);
		}
	}
	i -= first;
	spool_stat_add(SPOOL_STAT_ACCEPTS, i);
	return i ? i : ret;
}

/* Installs (ok) or closes (!ok) the n connections accepted into newbuf. */
static void spool_accept_commit(struct spool_pool *pool, unsigned int n,
				bool ok)
{
	unsigned int i;

	lockdep_assert_held(&pool->mtx);
	for (i = 0; i < n; i++) {
		struct spool_newconn *nc = &pool->newbuf[i];

		if (ok) {
			fd_install(nc->fd, nc->file);
			continue;
		}
		if (nc->item)
			spool_item_remove(pool, nc->item);
		put_unused_fd(nc->fd);
		fput(nc->file);
	}
}

static int spool_ioc_accept(struct spool_pool *pool, void __user *argp)
{
	struct spool_accept a;
	struct socket *lsock;
	int ret, n;

	spool_stat_add(SPOOL_STAT_ACCEPT_CALLS, 1);
	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.reserved || !a.max_conns || a.max_conns > READ_ONCE(max_batch))
		return -EINVAL;
	ret = spool_check_accept_flags(a.flags, a.reg_events, a.reg_flags);
	if (ret)
		return ret;
	lsock = sockfd_lookup(a.fd, &ret);
	if (!lsock)
		return ret;

	mutex_lock(&pool->mtx);
	ret = spool_conbuf_reserve(pool, a.max_conns);
	if (ret)
		goto out_unlock;
	n = spool_accept_batch(pool, lsock, 0, a.max_conns, a.flags,
			       a.reg_events, a.reg_flags);
	if (n <= 0) {
		ret = n;
		goto out_unlock;
	}
	if (copy_to_user(u64_to_user_ptr(a.conns), pool->conbuf,
			 n * sizeof(*pool->conbuf))) {
		spool_accept_commit(pool, n, false);
		ret = -EFAULT;
		goto out_unlock;
	}
	spool_accept_commit(pool, n, true);
	spool_stat_add(SPOOL_STAT_ACCEPT_CONNS, n);
	ret = n;
out_unlock:
	mutex_unlock(&pool->mtx);
	sockfd_put(lsock);
	return ret;
}

/* ---- collection and waiting --------------------------------------------- */

static int spool_evbuf_reserve(struct spool_pool *pool, unsigned int n)
{
	lockdep_assert_held(&pool->mtx);
	if (n <= pool->evbuf_cap)
		return 0;
	kvfree(pool->evbuf);
	pool->evbuf_cap = 0;
	pool->evbuf = kvmalloc_array(n, sizeof(*pool->evbuf),
				     GFP_KERNEL_ACCOUNT);
	if (!pool->evbuf)
		return -ENOMEM;
	pool->evbuf_cap = n;
	return 0;
}

/* The cycle's per-file action: accept or receive, noted in ev. */
static void spool_cycle_item(struct spool_pool *pool,
			     struct spool_cycle_ctx *cc,
			     struct spool_item *item, struct spool_event *ev)
{
	const struct spool_cycle *c = cc->c;
	struct socket *sock = sock_from_file(item->file);
	int ret;

	if ((item->flags & SPOOL_F_ACCEPT) && (ev->events & EPOLLIN)) {
		if (cc->nr_conns >= c->max_conns) {
			ev->flags |= SPOOL_EV_FULL;
			return;
		}
		ret = spool_accept_batch(pool, sock, cc->nr_conns,
					 c->max_conns - cc->nr_conns,
					 c->accept_flags, c->accept_events,
					 c->accept_reg_flags);
		ev->flags |= SPOOL_EV_ACCEPT;
		ev->result = ret;
		if (ret > 0) {
			ev->offset = cc->nr_conns;
			cc->nr_conns += ret;
			spool_stat_add(SPOOL_STAT_CYCLE_ACCEPTS, ret);
		}
		return;
	}

	if ((item->flags & SPOOL_F_RECV) &&
	    (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		u32 room = c->arena_len - cc->arena_used;

		if (!room) {
			ev->flags |= SPOOL_EV_FULL;
			return;
		}
		if (c->recv_max)
			room = min(room, c->recv_max);
		ret = spool_sock_io(sock, u64_to_user_ptr(c->arena) +
				    cc->arena_used, room, false);
		ev->flags |= SPOOL_EV_RECV;
		ev->result = ret;
		if (ret == 0)
			ev->flags |= SPOOL_EV_EOF;
		if (ret > 0) {
			ev->offset = cc->arena_used;
			cc->arena_used += ret;
		}
		spool_stat_add(SPOOL_STAT_CYCLE_RECVS, 1);
	}
}

/*
 * A bound on what tcp_sendmsg() charges to sk_wmem_queued for one new skb
 * beyond its payload: the head that tcp_stream_alloc_skb() allocates
 * (MAX_TCP_HEADER, rounded up by kmalloc) and the sk_buff itself.
 */
#define SPOOL_SKB_OVERHEAD	(2 * SKB_TRUESIZE(MAX_TCP_HEADER))

/*
 * The bytes one non-blocking send on a TCP socket surely takes now, for
 * struct spool_event.sndspace.
 *
 * tcp_sendmsg() starts a new skb only while sk_wmem_queued < sk_sndbuf
 * (and the unsent bytes are below TCP_NOTSENT_LOWAT), and fills each skb
 * with at least an MSS of payload before it starts the next.  So a send of
 * D bytes is charged at most D + (D / mss + 1) * overhead, and it is taken
 * whole if that fits in the room (sk_stream_wspace()).  Solving for D gives
 * the value below.  Memory pressure can still refuse it (sk_wmem_schedule),
 * and the kernel may shrink sk_sndbuf then; user space must cope with a
 * short send, but need not expect one otherwise.
 *
 * Read without the socket lock, as tcp_poll() reads these fields.  0 for
 * anything but an established TCP socket that may still send.
 */
static u32 spool_sndspace(struct file *file)
{
	struct socket *sock = sock_from_file(file);
	const struct tcp_sock *tp;
	struct sock *sk;
	s64 room, unsent_room, mss;

	if (!sock || !sock->sk)
		return 0;
	sk = sock->sk;
	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
	    !((1 << READ_ONCE(sk->sk_state)) &
	      (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return 0;
	tp = tcp_sk(sk);
	room = sk_stream_wspace(sk) - SPOOL_SKB_OVERHEAD;
	if (room <= 0)
		return 0;
	mss = max_t(s64, READ_ONCE(tp->mss_cache), TCP_MIN_MSS);
	room = div64_s64(room * mss, mss + SPOOL_SKB_OVERHEAD);
	unsent_room = (s64)tcp_notsent_lowat(tp) -
		      (u32)(READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt));
	room = min(room, unsent_room);
	return room > 0 ? min_t(s64, room, INT_MAX) : 0;
}

/*
 * A walk of the ready list, as fs/eventpoll.c's ep_start_scan() and
 * ep_done_scan(): the list moves to txlist, so that wake-ups during the
 * walk, which may not wait for pool->mtx, queue items on a fresh
 * pool->rdllist; spool_scan_next() takes each item off txlist (a wake-up
 * may then queue it again); spool_done_scan() puts back, at the head, what
 * the walk did not reach.  The caller holds pool->mtx throughout.
 */
static void spool_start_scan(struct spool_pool *pool, struct list_head *txlist)
{
	lockdep_assert_held(&pool->mtx);
	spin_lock_irq(&pool->lock);
	list_splice_init(&pool->rdllist, txlist);
	spin_unlock_irq(&pool->lock);
}

static struct spool_item *spool_scan_next(struct spool_pool *pool,
					  struct list_head *txlist)
{
	struct spool_item *item;

	if (list_empty(txlist))
		return NULL;
	item = list_first_entry(txlist, struct spool_item, rdlink);
	spin_lock_irq(&pool->lock);
	list_del_init(&item->rdlink);
	spin_unlock_irq(&pool->lock);
	return item;
}

static void spool_done_scan(struct spool_pool *pool, struct list_head *txlist)
{
	if (list_empty(txlist))
		return;
	spin_lock_irq(&pool->lock);
	list_splice(txlist, &pool->rdllist);
	spin_unlock_irq(&pool->lock);
}

/*
 * Re-polls the items on the ready list and writes an event for each ready
 * one to pool->evbuf, up to max.  Level-triggered items that are ready go
 * back to the tail of the list, so the next call polls them again and
 * files take turns when more are ready than max.  Items of a closed fd are
 * dropped.  With cc, does the cycle's action for each.  Returns the number
 * of events.
 */
static unsigned int spool_collect(struct spool_pool *pool, unsigned int max,
				  struct spool_cycle_ctx *cc)
{
	struct spool_item *item;
	LIST_HEAD(txlist);
	unsigned int n = 0;

	spool_start_scan(pool, &txlist);
	while (n < max && (item = spool_scan_next(pool, &txlist))) {
		struct spool_event *ev;
		__u32 interest;
		__poll_t revents;

		if (spool_item_stale(item)) {
			spool_drop_stale(pool, item);
			continue;
		}
		interest = spool_interest(item);
		if (!interest)
			continue;
		revents = vfs_poll(item->file, NULL) &
			  (interest | SPOOL_ALWAYS) & SPOOL_EVENTS;
		if (!revents)
			continue;
		if (revents & EPOLLOUT)
			WRITE_ONCE(item->out_once, false);

		if (item->flags & SPOOL_F_ONESHOT)
			WRITE_ONCE(item->events, 0);
		else
			spool_rdl_add(pool, item);

		ev = &pool->evbuf[n++];
		memset(ev, 0, sizeof(*ev));
		ev->cookie = item->cookie;
		ev->events = revents;
		ev->fd = item->fd;
		ev->sndspace = spool_sndspace(item->file);
		if (cc)
			spool_cycle_item(pool, cc, item, ev);
		cond_resched();
	}
	spool_done_scan(pool, &txlist);
	return n;
}

/* Takes a pending wake; true if there was one. */
static bool spool_take_wake(struct spool_pool *pool)
{
	bool woken;

	spin_lock_irq(&pool->lock);
	woken = pool->wake_pending;
	pool->wake_pending = false;
	spin_unlock_irq(&pool->lock);
	if (woken)
		spool_stat_add(SPOOL_STAT_WAKEUPS, 1);
	return woken;
}

static bool spool_has_work(struct spool_pool *pool)
{
	return !list_empty_careful(&pool->rdllist) ||
	       READ_ONCE(pool->wake_pending);
}

/*
 * Sleeps until the pool may have work, the deadline passes (-ETIMEDOUT) or
 * a signal arrives (-EINTR).  Sweeps every registration for closed fds
 * each SPOOL_SWEEP_PERIOD_MS it sleeps.
 */
static int spool_sleep(struct spool_pool *pool, ktime_t deadline)
{
	DEFINE_WAIT(wait);
	int ret = 0;

	for (;;) {
		ktime_t now, until;

		prepare_to_wait(&pool->wq, &wait, TASK_INTERRUPTIBLE);
		if (spool_has_work(pool))
			break;
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		now = ktime_get();
		if (ktime_compare(now, deadline) >= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		until = ktime_add_ms(now, SPOOL_SWEEP_PERIOD_MS);
		if (ktime_compare(until, deadline) >= 0)
			until = deadline;
		if (schedule_hrtimeout_range(&until, SPOOL_TIMER_SLACK_NS,
					     HRTIMER_MODE_ABS) == 0 &&
		    ktime_compare(until, deadline) < 0) {
			finish_wait(&pool->wq, &wait);
			mutex_lock(&pool->mtx);
			spool_sweep(pool, UINT_MAX);
			mutex_unlock(&pool->mtx);
		}
	}
	finish_wait(&pool->wq, &wait);
	return ret;
}

/*
 * The wait shared by SPOOL_IOC_WAIT and SPOOL_IOC_CYCLE.  Returns the
 * number of events in pool->evbuf with pool->mtx held, for the caller to
 * copy out and unlock; or -errno without the lock.
 */
static int spool_wait_events(struct spool_pool *pool, unsigned int max,
			     s32 timeout_ms, struct spool_cycle_ctx *cc,
			     bool *woken)
{
	ktime_t deadline = KTIME_MAX;
	bool swept = false;
	int ret;

	if (timeout_ms >= 0)
		deadline = ktime_add_ms(ktime_get(), timeout_ms);
	*woken = false;

	for (;;) {
		unsigned int n;

		mutex_lock(&pool->mtx);
		ret = spool_evbuf_reserve(pool, max);
		if (!ret && cc)
			ret = spool_conbuf_reserve(pool, cc->c->max_conns);
		if (ret) {
			mutex_unlock(&pool->mtx);
			return ret;
		}
		if (!swept) {
			spool_sweep(pool, READ_ONCE(sweep_batch));
			swept = true;
		}
		*woken = spool_take_wake(pool) || *woken;
		n = spool_collect(pool, max, cc);
		if (n || *woken || timeout_ms == 0)
			return n;
		mutex_unlock(&pool->mtx);

		ret = spool_sleep(pool, deadline);
		if (ret == -EINTR)
			return ret;
		if (ret == -ETIMEDOUT)
			timeout_ms = 0;	/* collect once more, then return */
	}
}

static int spool_ioc_wait(struct spool_pool *pool, void __user *argp)
{
	struct spool_wait __user *uw = argp;
	struct spool_wait w;
	bool woken;
	int n;

	spool_stat_add(SPOOL_STAT_WAIT_CALLS, 1);
	if (copy_from_user(&w, argp, sizeof(w)))
		return -EFAULT;
	if (w.reserved || !w.max_events || w.max_events > READ_ONCE(max_batch) ||
	    w.timeout_ms < -1)
		return -EINVAL;
	/* Fail before anything is collected (and one-shots disarmed). */
	if (put_user(0, &uw->flags))
		return -EFAULT;

	n = spool_wait_events(pool, w.max_events, w.timeout_ms, NULL, &woken);
	if (n < 0)
		return n;
	if (copy_to_user(u64_to_user_ptr(w.events), pool->evbuf,
			 n * sizeof(*pool->evbuf)))
		n = -EFAULT;
	mutex_unlock(&pool->mtx);
	if (n >= 0 && put_user(woken ? SPOOL_WAIT_WOKEN : 0, &uw->flags))
		n = -EFAULT;
	if (n > 0)
		spool_stat_add(SPOOL_STAT_WAIT_EVENTS, n);
	return n;
}

static int spool_check_cycle(const struct spool_cycle *c)
{
	unsigned int batch = READ_ONCE(max_batch);

	if (c->reserved)
		return -EINVAL;
	if (!c->max_events || c->max_events > batch || c->nr_ctl > batch ||
	    c->nr_send > batch ||
	    c->max_conns > batch || c->arena_len > READ_ONCE(max_arena) ||
	    c->timeout_ms < -1)
		return -EINVAL;
	return spool_check_accept_flags(c->accept_flags, c->accept_events,
					c->accept_reg_flags);
}

static int spool_ioc_cycle(struct spool_pool *pool, void __user *argp)
{
	struct spool_cycle __user *uc = argp;
	struct spool_cycle_ctx cc = {};
	struct spool_cycle c;
	bool woken;
	int n, ret;

	spool_stat_add(SPOOL_STAT_CYCLE_CALLS, 1);
	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	ret = spool_check_cycle(&c);
	if (ret)
		return ret;
	cc.c = &c;

	if (c.nr_ctl) {
		spool_stat_add(SPOOL_STAT_CYCLE_CTLS, c.nr_ctl);
		ret = spool_ctl_batch(pool, u64_to_user_ptr(c.ctl), c.nr_ctl);
		if (ret)
			return ret;
	}
	if (c.nr_send) {
		spool_stat_add(SPOOL_STAT_CYCLE_SENDS, c.nr_send);
		ret = spool_iov_batch(pool, u64_to_user_ptr(c.send), c.nr_send,
				      true);
		if (ret)
			return ret;
	}

	n = spool_wait_events(pool, c.max_events, c.timeout_ms, &cc, &woken);
	if (n < 0)
		return n;
	/* Everything reaches user space before any accepted fd is installed. */
	if (copy_to_user(u64_to_user_ptr(c.events), pool->evbuf,
			 n * sizeof(*pool->evbuf)) ||
	    copy_to_user(u64_to_user_ptr(c.conns), pool->conbuf,
			 cc.nr_conns * sizeof(*pool->conbuf)) ||
	    put_user(cc.nr_conns, &uc->nr_conns) ||
	    put_user(cc.arena_used, &uc->arena_used) ||
	    put_user(woken ? SPOOL_WAIT_WOKEN : 0, &uc->flags)) {
		spool_accept_commit(pool, cc.nr_conns, false);
		mutex_unlock(&pool->mtx);
		return -EFAULT;
	}
	spool_accept_commit(pool, cc.nr_conns, true);
	mutex_unlock(&pool->mtx);

	spool_stat_add(SPOOL_STAT_CYCLE_EVENTS, n);
	return n;
}

static int spool_ioc_wake(struct spool_pool *pool)
{
	spool_stat_add(SPOOL_STAT_WAKE_CALLS, 1);
	spin_lock_irq(&pool->lock);
	pool->wake_pending = true;
	spin_unlock_irq(&pool->lock);
	wake_up_poll(&pool->wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

static int spool_ioc_version(void __user *argp)
{
	struct spool_version v = {
		.abi_version = SPOOL_ABI_VERSION,
		.features = SPOOL_FEAT_WAIT | SPOOL_FEAT_ACCEPT |
			    SPOOL_FEAT_BULK_IO | SPOOL_FEAT_CYCLE |
			    SPOOL_FEAT_WAKE | SPOOL_FEAT_ONESHOT |
			    SPOOL_FEAT_CYCLE_CTL | SPOOL_FEAT_SEND_OUT |
			    SPOOL_FEAT_SNDSPACE | SPOOL_FEAT_ACCEPT_LSM |
			    SPOOL_FEAT_STATS,
		.max_files = READ_ONCE(max_files),
		.max_batch = READ_ONCE(max_batch),
		.max_arena = READ_ONCE(max_arena),
	};

	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

/* ---- the device --------------------------------------------------------- */

static long spool_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct spool_pool *pool = file->private_data;
	void __user *argp = (void __user *)arg;

	if (task_tgid(current) != pool->owner)
		return -EBADFD;

	switch (cmd) {
	case SPOOL_IOC_VERSION:
		return spool_ioc_version(argp);
	case SPOOL_IOC_REGISTER:
		return spool_ioc_reg(pool, argp, spool_do_register);
	case SPOOL_IOC_MODIFY:
		return spool_ioc_reg(pool, argp, spool_do_modify);
	case SPOOL_IOC_UNREGISTER:
		return spool_ioc_reg(pool, argp, spool_do_unregister);
	case SPOOL_IOC_WAIT:
		return spool_ioc_wait(pool, argp);
	case SPOOL_IOC_ACCEPT:
		return spool_ioc_accept(pool, argp);
	case SPOOL_IOC_CYCLE:
		return spool_ioc_cycle(pool, argp);
	case SPOOL_IOC_WAKE:
		return spool_ioc_wake(pool);
	}
	return -ENOIOCTLCMD;
}

/*
 * Readable when a registered file is ready or a wake is pending.  Any
 * process may poll the pool, so this neither drops stale items nor
 * consumes anything; it only takes items that are no longer ready off the
 * ready list, as a collection would.
 */
static __poll_t spool_poll(struct file *file, poll_table *wait)
{
	struct spool_pool *pool = file->private_data;
	struct spool_item *item;
	LIST_HEAD(txlist);
	__poll_t mask = 0;

	poll_wait(file, &pool->wq, wait);
	if (READ_ONCE(pool->wake_pending))
		return EPOLLIN | EPOLLRDNORM;
	if (list_empty_careful(&pool->rdllist))
		return 0;

	/*
	 * Busy: an operation is re-polling the items anyway.  Say "maybe
	 * ready", which poll allows, rather than wait: this also keeps any
	 * unforeseen path that polls the pool from within its own operation
	 * from deadlocking.
	 */
	if (!mutex_trylock(&pool->mtx))
		return EPOLLIN | EPOLLRDNORM;
	spool_start_scan(pool, &txlist);
	while (!mask && (item = spool_scan_next(pool, &txlist))) {
		__u32 interest;

		/* One that is not ready stays off: its wake-up re-adds it. */
		interest = spool_interest(item);
		if (interest && (vfs_poll(item->file, NULL) &
				 (interest | SPOOL_ALWAYS))) {
			spool_rdl_add(pool, item);
			mask = EPOLLIN | EPOLLRDNORM;
		}
	}
	spool_done_scan(pool, &txlist);
	mutex_unlock(&pool->mtx);
	return mask;
}

static int spool_open(struct inode *inode, struct file *file)
{
	struct spool_pool *pool;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return -ENOMEM;
	mutex_init(&pool->mtx);
	xa_init(&pool->items);
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->rdllist);
	init_waitqueue_head(&pool->wq);
	pool->owner = get_pid(task_tgid(current));
	file->private_data = pool;
	/* Reads and writes are batches, not a byte stream. */
	stream_open(inode, file);
	spool_stat_add(SPOOL_STAT_POOLS, 1);
	return 0;
}

static int spool_release(struct inode *inode, struct file *file)
{
	struct spool_pool *pool = file->private_data;
	struct spool_item *item;
	unsigned long index;

	mutex_lock(&pool->mtx);
	xa_for_each(&pool->items, index, item)
		spool_item_remove(pool, item);
	mutex_unlock(&pool->mtx);

	xa_destroy(&pool->items);
	kvfree(pool->evbuf);
	kvfree(pool->conbuf);
	kvfree(pool->newbuf);
	put_pid(pool->owner);
	kfree(pool);
	spool_stat_add(SPOOL_STAT_POOLS, -1);
	return 0;
}

static const struct file_operations spool_fops = {
	.owner		= THIS_MODULE,
	.open		= spool_open,
	.release	= spool_release,
	.read		= spool_read,
	.write		= spool_write,
	.poll		= spool_poll,
	.unlocked_ioctl	= spool_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	/* No .llseek: lseek() fails with ESPIPE (6.1's no_llseek was NULL). */
};

static struct miscdevice spool_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= SPOOL_DEVICE_NAME,
	.fops	= &spool_fops,
	/*
	 * root:root 0660 as devtmpfs makes it; the udev rule that make install
	 * adds (install/60-spool.rules) gives the same mode and the group
	 * spool.  Not 0666: a pool acts only on its caller's own fds, but its
	 * batched accept cannot ask the LSM socket_accept hook
	 * (spool_accept_permitted), so the device is for the users an
	 * administrator chose.
	 */
	.mode	= 0660,
};

static int __init spool_init(void)
{
	int ret = -ENOMEM;

	spool_item_cache = KMEM_CACHE(spool_item, SLAB_ACCOUNT);
	if (!spool_item_cache)
		goto out;
	spool_pwq_cache = KMEM_CACHE(spool_pwq, SLAB_ACCOUNT);
	if (!spool_pwq_cache)
		goto out_item_cache;
	ret = spool_stat_init();
	if (ret)
		goto out_pwq_cache;
	ret = misc_register(&spool_misc);
	if (ret)
		goto out_stat;
	return 0;

out_stat:
	spool_stat_exit();
out_pwq_cache:
	kmem_cache_destroy(spool_pwq_cache);
out_item_cache:
	kmem_cache_destroy(spool_item_cache);
out:
	return ret;
}

static void __exit spool_exit(void)
{
	misc_deregister(&spool_misc);
	/* Pools are gone (each held the module); their stale items may not be. */
	flush_work(&spool_release_work);
	spool_stat_exit();
	kmem_cache_destroy(spool_pwq_cache);
	kmem_cache_destroy(spool_item_cache);
}

module_init(spool_init);
module_exit(spool_exit);

MODULE_DESCRIPTION("SPOOL: batched accept, receive and send on a pool of sockets");
MODULE_AUTHOR("The SPOOL developers");
MODULE_LICENSE("GPL");
/* The ABI version: what a caller needs to match, and what modinfo shows. */
MODULE_VERSION(__stringify(SPOOL_ABI_VERSION));
