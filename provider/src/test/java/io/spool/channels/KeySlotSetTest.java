package io.spool.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import io.spool.SpoolSelectorProvider;
import io.spool.backend.Poller;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The array set behind a selector's selected keys and its keys ready from
 * memory: the same answers as the HashSet it replaced, the iterator's
 * contract included (each element once, remove(), fail-fast).
 */
class KeySlotSetTest {
    private final SpoolSelectorProvider provider = new SpoolSelectorProvider();
    private final SpoolSelector sel = new SpoolSelector(provider, mock(Poller.class));
    private final SpoolSelector other = new SpoolSelector(provider, mock(Poller.class));

    @AfterEach
    void close() throws Exception {
        sel.close();
        other.close();
    }

    private List<SpoolSelectionKey> keys(SpoolSelector s, int n) {
        List<SpoolSelectionKey> ks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ks.add(new SpoolSelectionKey(mock(SpoolChannel.class), s));
        }
        return ks;
    }

    @Test
    void addContainsRemove() {
        KeySlotSet set = new KeySlotSet(sel, SpoolSelectionKey.SLOT_SELECTED);
        List<SpoolSelectionKey> ks = keys(sel, 40); // grows past the first array
        for (SpoolSelectionKey k : ks) {
            assertTrue(set.add(k));
            assertFalse(set.add(k));
        }
        assertEquals(40, set.size());
        assertEquals(new HashSet<>(ks), new HashSet<>(set));
        assertTrue(set.remove(ks.get(3)));
        assertFalse(set.remove(ks.get(3)));
        assertFalse(set.contains(ks.get(3)));
        assertTrue(set.contains(ks.get(39))); // moved into the freed slot
        assertEquals(39, set.size());
        assertFalse(set.contains(null));
        assertFalse(set.contains("a key?"));
        assertFalse(set.remove(null));

        // another set of the same selector uses the key's other slot
        KeySlotSet mem = new KeySlotSet(sel, SpoolSelectionKey.SLOT_MEM);
        assertFalse(mem.contains(ks.get(0)));
        assertTrue(mem.add(ks.get(0)));
        assertTrue(set.contains(ks.get(0)) && mem.contains(ks.get(0)));
        assertTrue(mem.remove(ks.get(0)));
        assertTrue(set.contains(ks.get(0)));

        set.clear();
        assertTrue(set.isEmpty());
        for (SpoolSelectionKey k : ks) {
            assertFalse(set.contains(k));
        }
        assertTrue(set.add(ks.get(5)));
        assertEquals(Set.of(ks.get(5)), new HashSet<>(set));
    }

    @Test
    void keysOfAnotherSelectorAreNeverMembers() {
        KeySlotSet set = new KeySlotSet(sel, SpoolSelectionKey.SLOT_SELECTED);
        KeySlotSet theirs = new KeySlotSet(other, SpoolSelectionKey.SLOT_SELECTED);
        SpoolSelectionKey mine = keys(sel, 1).get(0);
        SpoolSelectionKey foreign = keys(other, 1).get(0);
        set.add(mine);
        theirs.add(foreign); // slot 0 in its own set, as mine is in ours
        assertFalse(set.contains(foreign));
        assertFalse(set.remove(foreign));
        assertThrows(IllegalArgumentException.class, () -> set.add(foreign));
        assertEquals(1, set.size());
    }

    @Test
    void theIteratorVisitsEachOnceAndRemovesThroughItself() {
        KeySlotSet set = new KeySlotSet(sel, SpoolSelectionKey.SLOT_SELECTED);
        List<SpoolSelectionKey> ks = keys(sel, 25);
        ks.forEach(set::add);
        Set<SelectionKey> seen = new HashSet<>();
        Set<SelectionKey> kept = new HashSet<>();
        int n = 0;
        Iterator<SelectionKey> it = set.iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            assertTrue(seen.add(k), "visited twice: " + k);
            if (n++ % 3 != 0) {
                it.remove();
                assertThrows(IllegalStateException.class, it::remove);
            } else {
                kept.add(k);
            }
        }
        assertEquals(new HashSet<>(ks), seen);
        assertEquals(kept, new HashSet<>(set));
        assertThrows(NoSuchElementException.class, it::next);

        // Netty's loop: next, remove, until empty
        Iterator<SelectionKey> all = set.iterator();
        while (all.hasNext()) {
            all.next();
            all.remove();
        }
        assertTrue(set.isEmpty());
        assertThrows(IllegalStateException.class, () -> set.iterator().remove());
    }

    @Test
    void changesOutsideTheIteratorFailFastAsHashSetDoes() {
        KeySlotSet set = new KeySlotSet(sel, SpoolSelectionKey.SLOT_SELECTED);
        Set<SelectionKey> hash = new HashSet<>();
        List<SpoolSelectionKey> ks = keys(sel, 4);
        for (SpoolSelectionKey k : ks) {
            set.add(k);
            hash.add(k);
        }
        for (Set<SelectionKey> s : List.of(set, hash)) {
            Iterator<SelectionKey> it = s.iterator();
            SelectionKey first = it.next();
            s.remove(first);
            assertThrows(ConcurrentModificationException.class, it::next, s.getClass().getSimpleName());
        }
        Iterator<SelectionKey> it = set.iterator();
        it.next();
        set.clear();
        assertThrows(ConcurrentModificationException.class, it::next);
    }

    @Test
    void randomOperationsAgreeWithHashSet() {
        Random r = new Random(42);
        KeySlotSet set = new KeySlotSet(sel, SpoolSelectionKey.SLOT_MEM);
        Set<SelectionKey> model = new HashSet<>();
        List<SpoolSelectionKey> ks = keys(sel, 64);
        for (int op = 0; op < 20_000; op++) {
            SpoolSelectionKey k = ks.get(r.nextInt(ks.size()));
            switch (r.nextInt(6)) {
                case 0, 1 -> assertEquals(model.add(k), set.add(k));
                case 2 -> assertEquals(model.remove(k), set.remove(k));
                case 3 -> assertEquals(model.contains(k), set.contains(k));
                case 4 -> { // remove a random part through the iterator
                    Iterator<SelectionKey> it = set.iterator();
                    while (it.hasNext()) {
                        SelectionKey e = it.next();
                        if (r.nextInt(4) == 0) {
                            it.remove();
                            assertTrue(model.remove(e));
                        }
                    }
                }
                default -> {
                    if (r.nextInt(50) == 0) {
                        set.clear();
                        model.clear();
                    }
                }
            }
            assertEquals(model.size(), set.size());
        }
        assertEquals(model, new HashSet<>(set));
        assertEquals(model, set); // AbstractSet's equals, both ways
        assertEquals(set, model);
        assertEquals(model.hashCode(), set.hashCode());
    }
}
