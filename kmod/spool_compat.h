/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spool_compat.h - the kernel API that differs between the kernels spool.ko
 * is built and tested for: Debian's 6.1 and 6.12 (README, "Kernels
 * tested").  Every version check of the module is here; spool_main.c calls
 * these helpers and names no kernel version.
 */
#ifndef _SPOOL_COMPAT_H
#define _SPOOL_COMPAT_H

#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <net/sock.h>

/*
 * The file the caller's fd names now, or NULL, to compare or test only: no
 * reference is taken, so the caller holds rcu_read_lock() and must not
 * dereference it.  lookup_fd_rcu() is gone since 6.7 (files became
 * SLAB_TYPESAFE_BY_RCU, and lookup_fdget_rcu() takes a reference);
 * files_lookup_fd_raw() is in every version, and a pointer compared with a
 * file the caller holds a reference to cannot be a recycled one.
 */
static inline struct file *spool_lookup_fd_rcu(unsigned int fd)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "spool_lookup_fd_rcu() without rcu_read_lock()");
	return files_lookup_fd_raw(current->files, fd);
}

/*
 * One user buffer as an iov_iter, checked as import_ubuf() checks it:
 * import_single_range() is gone since 6.9 and import_ubuf() is not in 6.1;
 * iov_iter_ubuf() (ITER_UBUF) is in both.  A buffer is at most an arena's
 * size, far below MAX_RW_COUNT; the clamp is import_ubuf()'s.
 */
static inline int spool_import_ubuf(int dir, void __user *buf, size_t len,
				    struct iov_iter *iter)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (unlikely(!access_ok(buf, len)))
		return -EFAULT;
	iov_iter_ubuf(iter, dir, buf, len);
	return 0;
}

/*
 * The protocol's accept of one connection from lsock into newsock, as
 * do_accept() calls it.  Since 6.10 proto_ops->accept takes its flags in a
 * struct proto_accept_arg.
 */
static inline int spool_proto_accept(struct socket *lsock,
				     struct socket *newsock, int flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	struct proto_accept_arg arg = { .flags = flags, .kern = false };

	return lsock->ops->accept(lsock, newsock, &arg);
#else
	return lsock->ops->accept(lsock, newsock, flags, false);
#endif
}

#endif /* _SPOOL_COMPAT_H */
