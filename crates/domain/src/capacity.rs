//! A link worker's capacity: people taken on in the last 12 months against the
//! 200–250 a year the national role description expects.

/// The expected range of people taken on per link worker per year.
pub const CASELOAD_RANGE: (u32, u32) = (200, 250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityBand {
    Below,
    Within,
    Above,
}

impl CapacityBand {
    pub fn for_count(taken_on_12m: u32) -> Self {
        if taken_on_12m < CASELOAD_RANGE.0 {
            Self::Below
        } else if taken_on_12m <= CASELOAD_RANGE.1 {
            Self::Within
        } else {
            Self::Above
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Below => "below the 200–250 range: has room to take on more people",
            Self::Within => "within the 200–250 range",
            Self::Above => "above the 200–250 range: caseload may not be sustainable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bands() {
        assert_eq!(CapacityBand::for_count(0), CapacityBand::Below);
        assert_eq!(CapacityBand::for_count(199), CapacityBand::Below);
        assert_eq!(CapacityBand::for_count(200), CapacityBand::Within);
        assert_eq!(CapacityBand::for_count(250), CapacityBand::Within);
        assert_eq!(CapacityBand::for_count(251), CapacityBand::Above);
    }
}
