package io.spool.sys;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The multicast structures {@link Multicast} writes and the option numbers
 * in {@link Linux}, against the C library's headers: a C program prints
 * each size, offset and constant, and each must equal ours.
 */
class MulticastAbiTest {
    /** C expression, our value. */
    private static Map<String, Integer> expected() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("sizeof(struct ip_mreq)", Multicast.IP_MREQ_SIZE);
        m.put("offsetof(struct ip_mreq, imr_multiaddr)", Multicast.IMR_MULTIADDR);
        m.put("offsetof(struct ip_mreq, imr_interface)", Multicast.IMR_INTERFACE);
        m.put("sizeof(struct ip_mreq_source)", Multicast.IP_MREQ_SOURCE_SIZE);
        m.put("offsetof(struct ip_mreq_source, imr_multiaddr)", Multicast.IMR_MULTIADDR);
        m.put("offsetof(struct ip_mreq_source, imr_interface)", Multicast.IMR_INTERFACE);
        m.put("offsetof(struct ip_mreq_source, imr_sourceaddr)", Multicast.IMR_SOURCEADDR);
        m.put("sizeof(struct ipv6_mreq)", Multicast.IPV6_MREQ_SIZE);
        m.put("offsetof(struct ipv6_mreq, ipv6mr_multiaddr)", 0);
        m.put("offsetof(struct ipv6_mreq, ipv6mr_interface)", Multicast.IPV6MR_INTERFACE);
        m.put("sizeof(struct group_source_req)", Multicast.GROUP_SOURCE_REQ_SIZE);
        m.put("offsetof(struct group_source_req, gsr_interface)", Multicast.GSR_INTERFACE);
        m.put("offsetof(struct group_source_req, gsr_group)", Multicast.GSR_GROUP);
        m.put("offsetof(struct group_source_req, gsr_source)", Multicast.GSR_SOURCE);
        m.put("offsetof(struct sockaddr_in6, sin6_family)", Multicast.SIN6_FAMILY);
        m.put("offsetof(struct sockaddr_in6, sin6_addr)", Multicast.SIN6_ADDR);
        m.put("IP_ADD_MEMBERSHIP", Linux.IP_ADD_MEMBERSHIP);
        m.put("IP_DROP_MEMBERSHIP", Linux.IP_DROP_MEMBERSHIP);
        m.put("IP_UNBLOCK_SOURCE", Linux.IP_UNBLOCK_SOURCE);
        m.put("IP_BLOCK_SOURCE", Linux.IP_BLOCK_SOURCE);
        m.put("IP_ADD_SOURCE_MEMBERSHIP", Linux.IP_ADD_SOURCE_MEMBERSHIP);
        m.put("IP_DROP_SOURCE_MEMBERSHIP", Linux.IP_DROP_SOURCE_MEMBERSHIP);
        m.put("MCAST_BLOCK_SOURCE", Linux.MCAST_BLOCK_SOURCE);
        m.put("MCAST_UNBLOCK_SOURCE", Linux.MCAST_UNBLOCK_SOURCE);
        m.put("MCAST_JOIN_SOURCE_GROUP", Linux.MCAST_JOIN_SOURCE_GROUP);
        m.put("MCAST_LEAVE_SOURCE_GROUP", Linux.MCAST_LEAVE_SOURCE_GROUP);
        m.put("IP_MULTICAST_ALL", Linux.IP_MULTICAST_ALL);
        m.put("IP_MULTICAST_IF", Linux.IP_MULTICAST_IF);
        m.put("IP_MULTICAST_TTL", Linux.IP_MULTICAST_TTL);
        m.put("IP_MULTICAST_LOOP", Linux.IP_MULTICAST_LOOP);
        m.put("IPV6_ADD_MEMBERSHIP", Linux.IPV6_ADD_MEMBERSHIP);
        m.put("IPV6_DROP_MEMBERSHIP", Linux.IPV6_DROP_MEMBERSHIP);
        m.put("IPV6_MULTICAST_ALL", Linux.IPV6_MULTICAST_ALL);
        m.put("IPV6_MULTICAST_IF", Linux.IPV6_MULTICAST_IF);
        m.put("IPV6_MULTICAST_HOPS", Linux.IPV6_MULTICAST_HOPS);
        m.put("IPV6_MULTICAST_LOOP", Linux.IPV6_MULTICAST_LOOP);
        return m;
    }

    @Test
    void structuresAndOptionsMatchTheCLibrary() throws Exception {
        SpoolAbiTest.assertMatchesC("#define _GNU_SOURCE\n#include <netinet/in.h>\n", expected());
    }
}
