//! The search's pure parts: the Pareto front of cost and P99, the successive-halving
//! selection, and the order that lets monotonicity prune (which designs to run next, which
//! a failure rules out). No simulation here: these take numbers and indices.

use std::collections::BTreeMap;

/// A design's position for the front: its objective (cost) and its P99 (means).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub id: usize,
    pub cost: f64,
    pub p99: f64,
}

fn by_cost(a: &Point, b: &Point) -> std::cmp::Ordering {
    a.cost.total_cmp(&b.cost).then(a.p99.total_cmp(&b.p99)).then(a.id.cmp(&b.id))
}

/// The non-dominated points: none other is at most as costly and at most as slow and better
/// in one of the two. Ids sorted by cost (then P99, then id). Equal points are all kept.
pub fn pareto_front(points: &[Point]) -> Vec<usize> {
    let mut sorted: Vec<Point> = points.to_vec();
    sorted.sort_by(by_cost);
    let mut out: Vec<Point> = Vec::new();
    for p in sorted {
        let keep = match out.last() {
            None => true,
            Some(last) if last.cost == p.cost && last.p99 == p.p99 => true,
            Some(_) => out.iter().all(|q| p.p99 < q.p99),
        };
        if keep {
            out.push(p);
        }
    }
    out.iter().map(|p| p.id).collect()
}

/// Successive halving's survivors: at most `quota` ids (but the whole first front always),
/// taken front by front (non-dominated sorting), the last front cut by cost. Sorted.
pub fn select(points: &[Point], quota: usize) -> Vec<usize> {
    let mut rest: Vec<Point> = points.to_vec();
    let mut kept: Vec<usize> = Vec::new();
    let mut first = true;
    while !rest.is_empty() && (first || kept.len() < quota) {
        let front = pareto_front(&rest);
        let room = if first { front.len() } else { quota - kept.len() };
        // `front` is in cost order: the cheapest of an overflowing front go on.
        kept.extend(front.iter().take(room));
        rest.retain(|p| !front.contains(&p.id));
        first = false;
    }
    kept.sort_unstable();
    kept
}

/// How many go on from `n` at a rung with factor `eta`: the ceiling of n / eta.
pub fn quota(n: usize, eta: u32) -> usize {
    n.div_ceil(eta.max(1) as usize)
}

/// The lattice of a space: each design's value ranks, and which dimensions are monotone.
pub struct Lattice {
    /// Per design, per dimension: the rank of its value (ascending numeric order for a
    /// monotone dimension, the value's index otherwise).
    pub ranks: Vec<Vec<usize>>,
    pub monotone: Vec<bool>,
}

impl Lattice {
    /// `a` has at most as much as `b` of every monotone dimension and equals it elsewhere:
    /// by the stated monotonicity, if `b` fails a monotone constraint, so does `a`.
    pub fn below(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.ranks[a], &self.ranks[b]);
        self.monotone.iter().enumerate().all(|(i, m)| if *m { ra[i] <= rb[i] } else { ra[i] == rb[i] })
    }

    fn family(&self, d: usize) -> Vec<usize> {
        self.monotone.iter().enumerate().filter(|(_, m)| !**m).map(|(i, _)| self.ranks[d][i]).collect()
    }

    fn level(&self, d: usize) -> usize {
        self.monotone.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| self.ranks[d][i]).sum()
    }

    /// The next designs to run, of `unknown` (not yet run or pruned): in each family (equal
    /// non-monotone values) the median level, bisecting toward the boundary, plus every
    /// design above one that already ran and did not fail (no failure can prune those).
    /// Sorted ids; never empty when `unknown` is not.
    pub fn wave(&self, unknown: &[usize], passed: &[usize]) -> Vec<usize> {
        let mut families: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
        for &d in unknown {
            families.entry(self.family(d)).or_default().push(d);
        }
        let mut out = Vec::new();
        for members in families.values() {
            let mut levels: Vec<usize> = members.iter().map(|d| self.level(*d)).collect();
            levels.sort_unstable();
            levels.dedup();
            let median = levels[levels.len() / 2];
            for &d in members {
                if self.level(d) == median || passed.iter().any(|p| self.below(*p, d)) {
                    out.push(d);
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(f64, f64)]) -> Vec<Point> {
        v.iter().enumerate().map(|(id, (c, p))| Point { id, cost: *c, p99: *p }).collect()
    }

    #[test]
    fn the_front_keeps_the_non_dominated_in_cost_order() {
        // 0 and 2 trade cost for speed; 1 is dominated by 0; 3 equals 2; 4 is dominated by 2.
        let p = pts(&[(100.0, 0.3), (120.0, 0.4), (200.0, 0.1), (200.0, 0.1), (250.0, 0.1)]);
        assert_eq!(pareto_front(&p), vec![0, 2, 3]);
        assert_eq!(pareto_front(&[]), Vec::<usize>::new());
        // Same cost, different P99: only the faster one.
        assert_eq!(pareto_front(&pts(&[(1.0, 0.5), (1.0, 0.2)])), vec![1]);
    }

    #[test]
    fn halving_keeps_whole_first_fronts_then_the_cheapest() {
        let p = pts(&[(1.0, 9.0), (2.0, 8.0), (3.0, 7.0), (2.5, 9.5), (4.0, 9.9), (5.0, 10.0)]);
        // The first front (0, 1, 2) alone exceeds a quota of 2: it is kept whole.
        assert_eq!(select(&p, 2), vec![0, 1, 2]);
        // Room for one more: the second front is 3 alone.
        assert_eq!(select(&p, 4), vec![0, 1, 2, 3]);
        assert_eq!(select(&p, 100), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(quota(10, 3), 4);
        assert_eq!(quota(1, 3), 1);
    }

    #[test]
    fn waves_bisect_a_chain_and_failures_prune_below() {
        // Two instance types (not monotone) x counts 1..=8 (monotone).
        let ranks: Vec<Vec<usize>> = (0..16).map(|i| vec![i / 8, i % 8]).collect();
        let l = Lattice { ranks, monotone: vec![false, true] };
        let all: Vec<usize> = (0..16).collect();
        assert_eq!(l.wave(&all, &[]), vec![4, 12]);
        assert!(l.below(1, 4) && !l.below(4, 1) && !l.below(1, 12));
        // 4 passed: everything above it runs next, with the median of the rest.
        let unknown: Vec<usize> = (0..8).filter(|d| *d != 4).collect();
        assert_eq!(l.wave(&unknown, &[4]), vec![3, 5, 6, 7]);
        // After a failure at 3, 0..=2 would be pruned by the caller: `below` says which.
        let pruned: Vec<usize> = (0..8).filter(|d| *d != 3 && l.below(*d, 3)).collect();
        assert_eq!(pruned, vec![0, 1, 2]);
    }
}
