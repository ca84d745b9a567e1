//! A small, explicit random number generator, so that a seed gives the same draws on every
//! platform and with every version of the dependencies: SplitMix64 (Steele, Lea and Flood 2014),
//! uniform doubles from its top 53 bits, normal draws by Box-Muller, gamma draws by
//! Marsaglia and Tsang (2000).

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for stream `stream` of `seed`: replication `r` of a run seeded `s` draws
    /// from `Rng::stream(s, r)`, whatever thread computes it.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut base = Rng(seed ^ 0x6a09_e667_f3bc_c909);
        let a = base.next_u64();
        Rng(a ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform on `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller; one of the pair is used).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Gamma with shape `a > 0` and scale 1.
    pub fn gamma(&mut self, a: f64) -> f64 {
        if !(a > 0.0 && a.is_finite()) {
            // No distribution: the rejection loop below would never accept (inf - inf).
            return f64::NAN;
        }
        if a < 1.0 {
            // Gamma(a) = Gamma(a + 1) U^(1/a).
            let u = 1.0 - self.uniform();
            return self.gamma(a + 1.0) * u.powf(1.0 / a);
        }
        let d = a - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = 1.0 - self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_the_moments_of_their_distributions() {
        // 200,000 draws: standard errors are about 0.002 for the means, so 0.01 is 5 se.
        let mut rng = Rng::new(7);
        let n = 200_000;
        let (mut su, mut sn, mut sn2, mut sg) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            su += rng.uniform();
            let z = rng.normal();
            sn += z;
            sn2 += z * z;
            sg += rng.gamma(0.5);
        }
        let n = f64::from(n);
        assert!((su / n - 0.5).abs() < 0.01);
        assert!((sn / n).abs() < 0.01);
        assert!((sn2 / n - 1.0).abs() < 0.01);
        assert!((sg / n - 0.5).abs() < 0.01);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..3).map(|_| Rng::stream(1, 5).next_u64()).collect();
        assert_eq!(a[0], a[1]);
        assert_ne!(Rng::stream(1, 5).next_u64(), Rng::stream(1, 6).next_u64());
        assert_ne!(Rng::stream(1, 5).next_u64(), Rng::stream(2, 5).next_u64());
    }
}
