//! `PageNumber` (from 1) and `PageSize` (1-100, default 10).

use serde_json::{Map, Value};

use crate::model::error::EcsError;
use crate::model::limits;
use crate::model::params::Params;

/// Which page of the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub number: u32,
    /// 1-100.
    pub size: u32,
}

impl Paging {
    /// Parses `PageNumber` and `PageSize`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            number: params.u32_in("PageNumber", 1..=u32::MAX)?.unwrap_or(1),
            size: params
                .u32_in("PageSize", limits::PAGE_SIZE)?
                .unwrap_or(limits::PAGE_SIZE_DEFAULT),
        })
    }

    /// The index range of this page within `total` results.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.number as usize - 1)
            .saturating_mul(self.size as usize)
            .min(total);
        let end = start.saturating_add(self.size as usize).min(total);
        start..end
    }

    /// `TotalCount`, `PageNumber`, `PageSize` and the list under `outer.inner`.
    pub fn body(
        &self,
        total: usize,
        outer: &str,
        inner: &str,
        items: Vec<Value>,
    ) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("TotalCount".into(), Value::from(total));
        body.insert("PageNumber".into(), Value::from(self.number));
        body.insert("PageSize".into(), Value::from(self.size));
        let mut list = Map::new();
        list.insert(inner.into(), Value::Array(items));
        body.insert(outer.into(), Value::Object(list));
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_the_results() {
        let p = Paging {
            number: 2,
            size: 10,
        };
        assert_eq!(p.range(25), 10..20);
        assert_eq!(
            Paging {
                number: 3,
                size: 10
            }
            .range(25),
            20..25
        );
        assert_eq!(
            Paging {
                number: 9,
                size: 10
            }
            .range(25),
            25..25
        );
    }

    #[test]
    fn page_parameters_are_validated() {
        for (k, v) in [
            ("PageNumber", "0"),
            ("PageSize", "0"),
            ("PageSize", "101"),
            ("PageNumber", "x"),
        ] {
            let e = Paging::parse(&Params::from_pairs([(k, v)])).unwrap_err();
            assert!(e.message().contains(k));
        }
        assert_eq!(
            Paging::parse(&Params::new()).unwrap(),
            Paging {
                number: 1,
                size: 10
            }
        );
    }
}
