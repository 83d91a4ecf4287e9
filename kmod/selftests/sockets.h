/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockets.h - loopback sockets and small files, for the selftests (through
 * spool_util.h, which asserts on them), the isolation test, the
 * reproducers and the fuzzer: one copy.  No harness here: each returns -1
 * with errno set when it fails.
 */
#ifndef SPOOL_SOCKETS_H
#define SPOOL_SOCKETS_H

#include <stddef.h>
#include <sys/socket.h>

/* The loopback address of family (AF_INET or AF_INET6) with port; its length. */
socklen_t loopback_addr(int family, int port, struct sockaddr_storage *ss);
/*
 * A TCP listener on loopback, SO_REUSEADDR, with backlog; flags are
 * socket(2)'s (SOCK_NONBLOCK, SOCK_CLOEXEC).  Its port in *port if port.
 */
int loopback_listen(int family, int backlog, int flags, int *port);
/* A TCP connection to port on loopback; with SOCK_NONBLOCK maybe in progress. */
int loopback_connect(int family, int port, int flags);
/* The local port of a bound inet socket. */
int sock_local_port(int fd);

/*
 * A small file (sysfs, procfs) read into buf without its trailing newline
 * (its length), or written with s (0).
 */
int file_get(const char *path, char *buf, size_t size);
int file_put(const char *path, const char *s);

#endif /* SPOOL_SOCKETS_H */
