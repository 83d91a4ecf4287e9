/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * spool.h - user-visible ABI of /dev/spool, the socket pool device.
 *
 * One open() of /dev/spool is one pool.  A pool holds registrations of the
 * caller's own file descriptors, tracks their readiness in the kernel and
 * does batched accept, receive and send on them:
 *
 *   ioctl(SPOOL_IOC_VERSION)     ABI version and feature bits
 *   ioctl(SPOOL_IOC_REGISTER)    add a pollable file, with interest and cookie
 *   ioctl(SPOOL_IOC_MODIFY)      change interest, flags or cookie
 *   ioctl(SPOOL_IOC_UNREGISTER)  remove a file
 *   ioctl(SPOOL_IOC_WAIT)        wait for ready files, like epoll_wait(2)
 *   ioctl(SPOOL_IOC_ACCEPT)      accept many connections from one listener
 *   ioctl(SPOOL_IOC_CYCLE)       change registrations, send, wait, accept
 *                                and receive, in one call
 *   ioctl(SPOOL_IOC_WAKE)        make a concurrent or the next wait return
 *   read(pool, iovs, n)          receive on many stream sockets at once
 *   write(pool, iovs, n)         send on many stream sockets at once
 *   poll(pool)                   readable when a registered file is ready
 *                                or a wake is pending
 *
 * Conventions:
 *  - Every structure has fixed-width fields and the same layout for 32- and
 *    64-bit callers; user pointers travel as __u64.
 *  - Every field named "reserved" must be zero on input, or the call fails
 *    with EINVAL.  Unknown flag bits fail with EINVAL too.
 *  - Handles are the caller's own file descriptors, resolved in the caller's
 *    fd table on every call.
 *  - A pool belongs to the process that opened it.  Calls made through the
 *    pool fd by any other process (after fork(), or after the fd was passed
 *    over a UNIX socket) fail with EBADFD; only poll() and close() work.
 *  - Errors common to every ioctl: ENOTTY for an unknown command, EFAULT for
 *    a bad user pointer, EINVAL for a non-zero reserved field or unknown
 *    flag, EBADFD for a pool of another process.
 *
 * Closing a registered fd without unregistering it: the registration holds a
 * reference to the file, so the file stays open while it is registered.
 * Such a registration is "stale": its fd no longer names the registered
 * file in the owner's fd table.  A stale registration never reports an
 * event, never receives and never accepts.  It is dropped, with its file
 * reference (released at once, even while the wait goes on sleeping), by
 * the first of:
 *  - a wait or cycle that finds it ready;
 *  - the sweep every wait and cycle makes over up to spool.sweep_batch
 *    registrations (module parameter), and the full sweep a sleeping wait
 *    makes once a second;
 *  - a REGISTER of the same fd number (which then registers the new file);
 *  - a MODIFY or UNREGISTER of the same fd number (which then fail with
 *    EBADF, or with ENOENT when the number names another file by then);
 *  - closing the pool.
 * So a peer of a socket closed while registered sees the connection close
 * within about a second of an idle pool's wait, and never later than the
 * pool's close.
 */
#ifndef _UAPI_LINUX_SPOOL_H
#define _UAPI_LINUX_SPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SPOOL_DEVICE_NAME	"spool"
#define SPOOL_ABI_VERSION	1

/* Feature bits reported by SPOOL_IOC_VERSION. */
#define SPOOL_FEAT_WAIT		(1ULL << 0)
#define SPOOL_FEAT_ACCEPT	(1ULL << 1)
#define SPOOL_FEAT_BULK_IO	(1ULL << 2)	/* read()/write() on the pool */
#define SPOOL_FEAT_CYCLE	(1ULL << 3)
#define SPOOL_FEAT_WAKE		(1ULL << 4)
#define SPOOL_FEAT_ONESHOT	(1ULL << 5)
#define SPOOL_FEAT_STATS	(1ULL << 6)	/* /proc/spool-stat (every build) */
#define SPOOL_FEAT_CYCLE_CTL	(1ULL << 7)	/* struct spool_cycle.ctl */
#define SPOOL_FEAT_SEND_OUT	(1ULL << 8)	/* a short send arms SPOOL_OUT */
#define SPOOL_FEAT_SNDSPACE	(1ULL << 9)	/* struct spool_event.sndspace */
#define SPOOL_FEAT_ACCEPT_LSM	(1ULL << 10)	/* batched accept: EPERM, below */

/*
 * Event bits: the values of EPOLLIN and friends, so that user space can
 * use either set of names.
 */
#define SPOOL_IN	0x0001
#define SPOOL_PRI	0x0002
#define SPOOL_OUT	0x0004
#define SPOOL_ERR	0x0008
#define SPOOL_HUP	0x0010
#define SPOOL_RDHUP	0x2000
#define SPOOL_EVENTS	(SPOOL_IN | SPOOL_PRI | SPOOL_OUT | SPOOL_ERR | \
			 SPOOL_HUP | SPOOL_RDHUP)

/* Registration flags (struct spool_reg.flags). */
#define SPOOL_F_ONESHOT	(1U << 0)	/* disarm after one event; MODIFY re-arms */
#define SPOOL_F_ACCEPT	(1U << 1)	/* cycle accepts when this listener is ready */
#define SPOOL_F_RECV	(1U << 2)	/* cycle receives when this socket is readable */
#define SPOOL_F_ALL	(SPOOL_F_ONESHOT | SPOOL_F_ACCEPT | SPOOL_F_RECV)

/*
 * SPOOL_IOC_VERSION: fills struct spool_version.  Fails only with EFAULT
 * (and EBADFD, as every call).
 */
struct spool_version {
	__u32 abi_version;	/* out: SPOOL_ABI_VERSION */
	__u32 reserved;		/* out: 0 */
	__u64 features;		/* out: SPOOL_FEAT_* */
	__u32 max_files;	/* out: registrations per pool (spool.max_files) */
	__u32 max_batch;	/* out: items per call (spool.max_batch) */
	__u32 max_arena;	/* out: cycle arena bytes (spool.max_arena) */
	__u32 reserved2;	/* out: 0 */
};

/*
 * SPOOL_IOC_REGISTER, SPOOL_IOC_MODIFY: argument struct spool_reg.
 * SPOOL_IOC_UNREGISTER: argument struct spool_reg; only fd is used, and
 *   events, flags, reserved and cookie must be zero.
 *
 * Any pollable file may be registered: sockets, pipes, eventfds.
 * SPOOL_F_ACCEPT needs a stream socket; SPOOL_F_RECV a connection-oriented
 * stream socket.  SPOOL_ERR and SPOOL_HUP are always reported, as in epoll.
 *
 * Errors:
 *   EBADF	fd is not open
 *   EEXIST	REGISTER: fd is registered already
 *   ENOENT	MODIFY, UNREGISTER: fd is open but not registered (also when
 *		the registered file was closed and the number reused)
 *   EINVAL	fd is this pool, another pool or an epoll file (a pool may
 *		sit in an epoll set, but not the reverse: that could close a
 *		loop); unknown event or flag bits;
 *		non-zero reserved; SPOOL_F_ACCEPT with SPOOL_F_RECV
 *   EPERM	the file does not support poll (a regular file)
 *   ENOTSOCK	SPOOL_F_ACCEPT or SPOOL_F_RECV on a file that is no socket
 *   EOPNOTSUPP	SPOOL_F_ACCEPT or SPOOL_F_RECV on a socket that is not
 *		SOCK_STREAM
 *   ENOSPC	REGISTER: the pool holds spool.max_files registrations
 *   ENOMEM	out of memory
 */
struct spool_reg {
	__s32 fd;
	__u32 events;		/* SPOOL_IN, SPOOL_OUT, ... */
	__u32 flags;		/* SPOOL_F_* */
	__u32 reserved;
	__u64 cookie;		/* returned in every event of this file */
};

/*
 * One ready file, as SPOOL_IOC_WAIT and SPOOL_IOC_CYCLE return it.
 */
struct spool_event {
	__u64 cookie;
	__u32 events;		/* ready events, within interest | ERR | HUP */
	__s32 fd;		/* the registered fd */
	__u32 flags;		/* cycle only: SPOOL_EV_* */
	__s32 result;		/* cycle only, see SPOOL_EV_RECV/ACCEPT */
	__u32 offset;		/* cycle only, see SPOOL_EV_RECV/ACCEPT */
	__u32 sndspace;		/* see below */
};

/*
 * sndspace (SPOOL_FEAT_SNDSPACE; 0 from a module without it): for an
 * established TCP socket that may still send, the bytes a non-blocking
 * send would surely take when the event was collected: the room left in
 * the socket's send buffer, in the kernel's own accounting, and within
 * TCP_NOTSENT_LOWAT.  It is 0 for every other file.  The room only grows
 * until the caller sends on the socket again (or the kernel shrinks the
 * send buffer under memory pressure), so user space may stage that many
 * bytes and count on one later send taking them.
 */

/*
 * SPOOL_EV_RECV: the cycle received from this socket.  result is the number
 *   of bytes, which lie at arena + offset; 0 means end of stream (the peer
 *   shut down its side; SPOOL_EV_EOF is set as well); or a -errno, for
 *   example -ECONNRESET.
 * SPOOL_EV_ACCEPT: the cycle accepted from this listener.  result is the
 *   number of connections, which are conns[offset] to
 *   conns[offset + result - 1]; or a -errno from accept, as
 *   SPOOL_IOC_ACCEPT's (-EPERM: accept with accept4(2) instead).
 * SPOOL_EV_FULL: the socket was readable (or the listener had connections)
 *   but the arena (or conns) was full; nothing was done for it this cycle.
 */
#define SPOOL_EV_RECV	(1U << 0)
#define SPOOL_EV_EOF	(1U << 1)
#define SPOOL_EV_ACCEPT	(1U << 2)
#define SPOOL_EV_FULL	(1U << 3)

/*
 * SPOOL_IOC_WAIT: waits until at least one registered file is ready, a
 * wake is pending, the timeout passes or a signal arrives.  Returns the
 * number of events written (0 after a timeout or a wake).  Readiness is
 * level-triggered: a file that stays ready is reported again by the next
 * wait, unless it was registered with SPOOL_F_ONESHOT.
 *
 * Errors:
 *   EINVAL	max_events is 0 or above spool.max_batch; timeout_ms < -1;
 *		non-zero reserved
 *   EINTR	a signal arrived before any event
 *   ENOMEM	out of memory for the pool's event buffer
 */
struct spool_wait {
	__u64 events;		/* user pointer to struct spool_event[max_events] */
	__u32 max_events;
	__s32 timeout_ms;	/* -1: forever; 0: do not sleep */
	__u32 flags;		/* out: SPOOL_WAIT_WOKEN if a wake was taken; in: ignored */
	__u32 reserved;
};

#define SPOOL_WAIT_WOKEN	(1U << 0)

/*
 * One accepted connection.  addr holds the peer's address as accept(2)
 * gives it: a struct sockaddr_in or struct sockaddr_in6 of addrlen bytes.
 * For a longer address (AF_UNIX) addrlen is its full length and addr its
 * first 32 bytes.
 */
struct spool_conn {
	__s32 fd;		/* the new connection's fd */
	__s32 reg;		/* 0, or -errno of its SPOOL_ACCEPT_REGISTER */
	__u32 addrlen;
	__u32 reserved;		/* out: 0 */
	__u8 addr[32];
};

/* Accept flags (struct spool_accept.flags, struct spool_cycle.accept_flags). */
#define SPOOL_ACCEPT_NONBLOCK	(1U << 0)	/* O_NONBLOCK on the new fds */
#define SPOOL_ACCEPT_CLOEXEC	(1U << 1)	/* O_CLOEXEC on the new fds */
#define SPOOL_ACCEPT_REGISTER	(1U << 2)	/* register each new fd in the pool */
#define SPOOL_ACCEPT_ALL	(SPOOL_ACCEPT_NONBLOCK | SPOOL_ACCEPT_CLOEXEC | \
				 SPOOL_ACCEPT_REGISTER)

/*
 * SPOOL_IOC_ACCEPT: accepts up to max_conns pending connections from the
 * listening socket fd, never blocking.  Returns the number accepted (at
 * least 1), or fails.  An error met after the first connection ends the
 * batch and is not reported; the next call sees it.  With
 * SPOOL_ACCEPT_REGISTER each new fd is registered with reg_events and
 * reg_flags, and its cookie is its fd number; a failed registration leaves
 * the connection accepted and sets its conn.reg.  The listener does not
 * have to be registered.
 *
 * Errors:
 *   EAGAIN	no connection is pending
 *   EBADF	fd is not open
 *   ENOTSOCK	fd is not a socket
 *   EOPNOTSUPP	fd is not a stream socket
 *   EINVAL	fd is not listening; max_conns is 0 or above spool.max_batch;
 *		unknown flags; bad reg_events or reg_flags; non-zero reserved
 *   EMFILE	the process has no free fd (and nothing was accepted)
 *   ENOMEM	out of memory for the pool's connection buffer
 *   EPERM	batched accept refused, before any connection was taken
 *		off the backlog (SPOOL_FEAT_ACCEPT_LSM): the module cannot
 *		ask the LSM hook that accept4(2) asks, so it refuses a
 *		task that an LSM may forbid to accept.  Accept with
 *		accept4(2) instead; it succeeds, or fails with the LSM's
 *		verdict (EACCES, EPERM).  By default the module serves a
 *		task with no security context or with AppArmor's
 *		"unconfined" one; the module parameter
 *		spool.unchecked_accept (unconfined, never, always) says
 *		whom, README "Batched accept and LSMs".
 *   ENFILE, ENOMEM, ECONNABORTED, ...: as accept4(2)
 */
struct spool_accept {
	__s32 fd;		/* the listening socket */
	__u32 max_conns;
	__u64 conns;		/* user pointer to struct spool_conn[max_conns] */
	__u32 flags;		/* SPOOL_ACCEPT_* */
	__u32 reg_events;	/* with SPOOL_ACCEPT_REGISTER */
	__u32 reg_flags;	/* with SPOOL_ACCEPT_REGISTER: SPOOL_F_ONESHOT, SPOOL_F_RECV */
	__u32 reserved;
};

/*
 * Buffer descriptor for bulk receive, bulk send and the cycle's send batch.
 *
 * read(pool, iovs, count) receives into each descriptor's buffer from its
 * fd; write(pool, iovs, count) sends each buffer on its fd.  count is in
 * bytes and must be a whole, non-zero number of descriptors, at most
 * spool.max_batch of them.  Both never block (MSG_DONTWAIT) and never raise
 * SIGPIPE (MSG_NOSIGNAL).  Each descriptor gets its own result:
 *   result > 0	bytes received or sent
 *   result == 0	receive only: end of stream; flags has SPOOL_IOV_EOF
 *   result < 0	-errno for this descriptor: -EAGAIN (nothing yet, or no
 *		room), -EBADF (fd not open), -ENOTSOCK, -EOPNOTSUPP (not a
 *		stream socket), -ENOTCONN (not connected, or a listener),
 *		-EPIPE (send after shutdown), -ECONNRESET, -EINVAL (len 0 or
 *		above INT_MAX, or flags set on input), -EFAULT (bad buf), ...
 * Descriptors are independent: one failing does not stop the others.
 * The fds do not have to be registered in the pool.
 *
 * A short send (result below len, or -EAGAIN) on an fd that is registered
 * in the pool arms a one-time SPOOL_OUT for that registration: the pool
 * reports SPOOL_OUT for it once the socket has room again, even when
 * SPOOL_OUT is not in its interest.  So a cycle that sends and then sleeps
 * wakes up to send the rest; it needs no change of interest.
 * read() and write() return count once every descriptor has its result.
 *
 * Errors of read()/write() themselves:
 *   EINVAL	count is 0, not a multiple of sizeof(struct spool_iov), or
 *		above spool.max_batch descriptors
 *   EFAULT	the descriptor array cannot be read or written
 *   EBADFD	the pool belongs to another process
 */
struct spool_iov {
	__s32 fd;
	__u32 flags;		/* in: 0; out: SPOOL_IOV_EOF */
	__u64 buf;		/* user pointer */
	__u32 len;		/* bytes; 1 to INT_MAX */
	__s32 result;		/* out */
};

#define SPOOL_IOV_EOF	(1U << 0)

/*
 * One registration change carried by a cycle (struct spool_cycle.ctl), so
 * that the changes an event loop makes between two turns cost no call of
 * their own.  op is SPOOL_CTL_REGISTER, SPOOL_CTL_MODIFY or
 * SPOOL_CTL_UNREGISTER; fd, events, flags and cookie mean what they mean
 * in struct spool_reg.  result is set to 0 or to the -errno the matching
 * ioctl would have failed with (-EINVAL for an unknown op or a non-zero
 * reserved).  One failing does not stop the others.
 */
struct spool_ctl {
	__u32 op;
	__s32 fd;
	__u32 events;
	__u32 flags;
	__u64 cookie;
	__s32 result;		/* out */
	__u32 reserved;
};

#define SPOOL_CTL_REGISTER	1
#define SPOOL_CTL_MODIFY	2
#define SPOOL_CTL_UNREGISTER	3

/*
 * SPOOL_IOC_CYCLE: one turn of an event loop in one call.
 *
 *  1. Applies the nr_ctl registration changes at ctl, in order, and writes
 *     each result back.
 *  2. Sends the nr_send descriptors at send, as write() on the pool does,
 *     and writes each result back.  Steps 1 and 2 happen before anything
 *     else, even when the call later fails with EINTR.
 *  3. Waits, as SPOOL_IOC_WAIT does, for up to timeout_ms.
 *  4. For each ready file, up to max_events:
 *     - a listener registered with SPOOL_F_ACCEPT: accepts up to the room
 *       left in conns, with accept_flags, accept_events and
 *       accept_reg_flags as in SPOOL_IOC_ACCEPT;
 *     - a socket registered with SPOOL_F_RECV that is readable: receives
 *       into the arena up to the room left there and up to recv_max bytes
 *       (0: no limit but the arena); SPOOL_EV_FULL only when no room is
 *       left at all;
 *     and writes one struct spool_event for it.
 *
 * Returns the number of events (0 after a timeout or a wake).  nr_conns,
 * arena_used and flags are written back.  Accepted fds are installed only
 * after every result was copied out; if that copy fails the connections
 * are closed and the call fails with EFAULT (bytes received into the arena
 * by that call are then lost, as with recvmmsg(2)).
 *
 * Errors:
 *   EINVAL	max_events is 0 or above spool.max_batch; nr_ctl, nr_send or
 *		max_conns above spool.max_batch; arena_len above
 *		spool.max_arena; timeout_ms < -1; unknown accept flags; bad
 *		accept_events or accept_reg_flags; non-zero reserved
 *   EFAULT	a bad pointer: ctl, send, events, conns (a bad arena is
 *		reported per event, as result -EFAULT)
 *   EINTR	a signal arrived before any event (steps 1 and 2 were done)
 *   ENOMEM	out of memory for the pool's event or connection buffer
 */
struct spool_cycle {
	__u64 ctl;		/* user pointer to struct spool_ctl[nr_ctl] */
	__u64 send;		/* user pointer to struct spool_iov[nr_send] */
	__u64 events;		/* user pointer to struct spool_event[max_events] */
	__u64 conns;		/* user pointer to struct spool_conn[max_conns] */
	__u64 arena;		/* user pointer to arena_len bytes */
	__u32 nr_ctl;
	__u32 nr_send;
	__u32 max_events;
	__u32 max_conns;
	__u32 arena_len;
	__u32 recv_max;		/* per-socket receive limit; 0: none */
	__s32 timeout_ms;
	__u32 accept_flags;	/* SPOOL_ACCEPT_* */
	__u32 accept_events;	/* with SPOOL_ACCEPT_REGISTER */
	__u32 accept_reg_flags;	/* with SPOOL_ACCEPT_REGISTER */
	__u32 nr_conns;		/* out: connections written to conns; in: ignored */
	__u32 arena_used;	/* out: bytes written to the arena; in: ignored */
	__u32 flags;		/* out: SPOOL_WAIT_WOKEN; in: ignored */
	__u32 reserved;
};

#define SPOOL_IOC_MAGIC		0xB7

#define SPOOL_IOC_VERSION	_IOR(SPOOL_IOC_MAGIC, 0x00, struct spool_version)
#define SPOOL_IOC_REGISTER	_IOW(SPOOL_IOC_MAGIC, 0x01, struct spool_reg)
#define SPOOL_IOC_MODIFY	_IOW(SPOOL_IOC_MAGIC, 0x02, struct spool_reg)
#define SPOOL_IOC_UNREGISTER	_IOW(SPOOL_IOC_MAGIC, 0x03, struct spool_reg)
#define SPOOL_IOC_WAIT		_IOWR(SPOOL_IOC_MAGIC, 0x04, struct spool_wait)
#define SPOOL_IOC_ACCEPT	_IOW(SPOOL_IOC_MAGIC, 0x05, struct spool_accept)
#define SPOOL_IOC_CYCLE		_IOWR(SPOOL_IOC_MAGIC, 0x06, struct spool_cycle)
/*
 * SPOOL_IOC_WAKE: no argument (pass 0).  The pending wake makes the pool
 * readable to poll() until a wait or cycle takes it.  Fails only with
 * EBADFD, as every call.
 */
#define SPOOL_IOC_WAKE		_IO(SPOOL_IOC_MAGIC, 0x07)

#endif /* _UAPI_LINUX_SPOOL_H */
