//! A stable radix sort on 64-bit keys, for ranking the hundreds of
//! thousands of weights of a large network: a comparison sort spends
//! n log n comparisons there, a radix sort a few passes over the items.

/// Below this many items a comparison sort is as fast.
const SMALL: usize = 256;

/// Sorts `items` by `key`, ascending and stably: items with equal keys keep
/// their order. One pass per byte of the key, least significant first,
/// skipping the bytes every key shares (weights that are small whole
/// numbers differ in two or three bytes of their bits).
pub fn sort_by_u64_key<T: Copy>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    if items.len() < SMALL {
        items.sort_by_key(|t| key(t));
        return;
    }
    let n = items.len();
    let mut counts = vec![[0usize; 256]; 8];
    for t in items.iter() {
        let k = key(t);
        for (byte, count) in counts.iter_mut().enumerate() {
            count[(k >> (8 * byte)) as usize & 0xff] += 1;
        }
    }
    let mut other = items.clone();
    let (mut from, mut to) = (items, &mut other);
    let mut swapped = false;
    for (byte, count) in counts.iter().enumerate() {
        if count.contains(&n) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut start = 0;
        for (slot, &c) in next.iter_mut().zip(count) {
            *slot = start;
            start += c;
        }
        for t in from.iter() {
            let slot = &mut next[(key(t) >> (8 * byte)) as usize & 0xff];
            to[*slot] = *t;
            *slot += 1;
        }
        std::mem::swap(&mut from, &mut to);
        swapped = !swapped;
    }
    if swapped {
        // The sorted items are in the scratch vector: move them back.
        to.copy_from_slice(from);
    }
}

/// A key that orders as `f64::total_cmp` orders the floats: negative
/// floats' bits reversed, positive floats' sign bit set.
pub fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float whose [`total_order_key`] is `key`.
pub fn from_total_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Keys of every shape: few distinct values (ties), small integers'
    /// float bits, all bytes random, bytes equal but for the top one.
    fn keys(rng: &mut Rng, n: usize, shape: u64) -> Vec<(u64, u32)> {
        (0..n)
            .map(|i| {
                let r = rng.next_u64();
                let k = match shape {
                    0 => r % 3,
                    1 => ((r % 17) as f64).to_bits(),
                    2 => r,
                    3 => (r % 4) << 56,
                    _ => u64::MAX - r % 5,
                };
                (k, i as u32)
            })
            .collect()
    }

    #[test]
    fn sorts_like_a_stable_comparison_sort() {
        let mut rng = Rng::new(5);
        for n in [0, 1, 2, 255, 256, 257, 1000, 70_000] {
            for shape in 0..5 {
                let items = keys(&mut rng, n, shape);
                let mut expected = items.clone();
                expected.sort_by_key(|t| t.0);
                let mut got = items;
                sort_by_u64_key(&mut got, |t| t.0);
                assert_eq!(got, expected, "n {n}, shape {shape}");
            }
        }
    }

    #[test]
    fn total_order_keys_order_floats_as_total_cmp_does() {
        let mut rng = Rng::new(9);
        let mut floats = vec![
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        floats.extend((0..500).map(|_| f64::from_bits(rng.next_u64())));
        for a in &floats {
            for b in &floats {
                assert_eq!(
                    total_order_key(*a).cmp(&total_order_key(*b)),
                    a.total_cmp(b),
                    "{a:e} vs {b:e}"
                );
            }
            let back = from_total_order_key(total_order_key(*a));
            assert_eq!(back.to_bits(), a.to_bits(), "{a:e}");
        }
    }
}
