package io.spool.channels;

import java.nio.channels.SelectionKey;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A set of one selector's keys in an array, each key remembering its slot:
 * add, remove and contains are an index and a compare, with no hashing and
 * no entry allocated per element. A selector adds and removes a key per
 * ready socket per select (its selected-key set, and the keys whose bytes
 * wait in memory); as a {@code HashSet} each add allocated a node, and the
 * iterator walked every bucket the set ever grew to. Netty replaces the
 * JDK's selected-key set with an array by reflection, which it cannot do
 * for a provider's own selector, so on SPOOL it pays for ours.
 *
 * <p>A removal moves the last element into the freed slot, so the order of
 * iteration is not that of insertion (a {@code HashSet}'s is not either).
 * The iterator visits every element present when it started and not
 * removed meanwhile exactly once, supports {@link Iterator#remove()}, and,
 * as the JDK's collections, throws {@link ConcurrentModificationException}
 * when the set was changed other than through it.
 *
 * <p>Not thread-safe; the selector guards each of its sets as the JDK's
 * {@code SelectorImpl} does its own. Which of a key's slot fields this set
 * uses is {@code which} ({@link SpoolSelectionKey#slot(int)}).
 */
final class KeySlotSet extends AbstractSet<SelectionKey> {
    private final SpoolSelector selector;
    private final int which;
    private SpoolSelectionKey[] a = new SpoolSelectionKey[16];
    private int size;
    private int modCount;

    KeySlotSet(SpoolSelector selector, int which) {
        this.selector = selector;
        this.which = which;
    }

    /** The index of {@code o} in this set, or -1. */
    private int indexOf(Object o) {
        if (o instanceof SpoolSelectionKey) {
            SpoolSelectionKey k = (SpoolSelectionKey) o;
            if (k.selector() == selector) {
                int i = k.slot(which);
                if (i >= 0 && i < size && a[i] == k) {
                    return i;
                }
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public boolean contains(Object o) {
        return indexOf(o) >= 0;
    }

    /** Adds a key of this selector; false if it is in the set already. */
    boolean addKey(SpoolSelectionKey k) {
        assert k.selector() == selector;
        if (indexOf(k) >= 0) {
            return false;
        }
        if (size == a.length) {
            a = Arrays.copyOf(a, size * 2);
        }
        a[size] = k;
        k.setSlot(which, size);
        size++;
        modCount++;
        return true;
    }

    @Override
    public boolean add(SelectionKey k) {
        if (!(k instanceof SpoolSelectionKey) || k.selector() != selector) {
            throw new IllegalArgumentException("not a key of this selector");
        }
        return addKey((SpoolSelectionKey) k);
    }

    @Override
    public boolean remove(Object o) {
        int i = indexOf(o);
        if (i < 0) {
            return false;
        }
        removeAt(i);
        return true;
    }

    /** Removes slot i: the last element moves into it. */
    private void removeAt(int i) {
        a[i].setSlot(which, -1);
        int last = --size;
        if (i != last) {
            a[i] = a[last];
            a[i].setSlot(which, i);
        }
        a[last] = null;
        modCount++;
    }

    @Override
    public void clear() {
        for (int i = 0; i < size; i++) {
            a[i].setSlot(which, -1);
            a[i] = null;
        }
        if (size > 0) {
            size = 0;
            modCount++;
        }
    }

    /** The elements now, as keys (a copy: an action may change the set). */
    SpoolSelectionKey[] snapshot() {
        return Arrays.copyOf(a, size);
    }

    /** The element in slot i, for a loop over {@link #size()} that does not change the set. */
    SpoolSelectionKey get(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return a[i];
    }

    @Override
    public Iterator<SelectionKey> iterator() {
        return new Iterator<>() {
            /** The slot of the next element. */
            private int cursor;
            /** The slot of the element next() returned last, -1 after remove(). */
            private int lastRet = -1;
            private int expected = modCount;

            @Override
            public boolean hasNext() {
                return cursor < size;
            }

            @Override
            public SelectionKey next() {
                if (modCount != expected) {
                    throw new ConcurrentModificationException();
                }
                if (cursor >= size) {
                    throw new NoSuchElementException();
                }
                lastRet = cursor++;
                return a[lastRet];
            }

            @Override
            public void remove() {
                if (lastRet < 0) {
                    throw new IllegalStateException();
                }
                if (modCount != expected) {
                    throw new ConcurrentModificationException();
                }
                // the last element moves into lastRet, which is then the next to visit
                removeAt(lastRet);
                cursor = lastRet;
                lastRet = -1;
                expected = modCount;
            }
        };
    }
}
