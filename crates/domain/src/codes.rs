//! Coded value sets (roles, states, sources, needs…) share one shape: a stable code stored
//! in the database and sent over the API, and a plain-English label shown to people.

/// A value from a fixed, coded list.
pub trait Code: Sized + Copy + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The stable code (database, API, form values).
    fn code(self) -> &'static str;
    /// What a person reads.
    fn label(self) -> &'static str;
    /// The value for a code, if it is one.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a coded enum: `code_enum!(Name { Variant => ("code", "Label"), … })`.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::codes::Code for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str { match self { $(Self::$variant => $code),+ } }
            fn label(self) -> &'static str { match self { $(Self::$variant => $label),+ } }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::codes::Code::label(*self))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::codes::Code::code(*self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                <Self as $crate::codes::Code>::from_code(&s).ok_or_else(|| {
                    let all: Vec<&str> = <Self as $crate::codes::Code>::ALL
                        .iter().map(|v| $crate::codes::Code::code(*v)).collect();
                    ::serde::de::Error::custom(format!(
                        "'{s}' is not a valid {}; use one of: {}", stringify!($name), all.join(", ")))
                })
            }
        }
    };
}

/// Joins codes for storage as a comma-separated list.
pub fn join_codes<T: Code>(values: &[T]) -> String {
    values
        .iter()
        .map(|v| v.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a comma-separated list of codes, ignoring unknown ones.
pub fn split_codes<T: Code>(s: &str) -> Vec<T> {
    s.split(',')
        .filter_map(|c| T::from_code(c.trim()))
        .collect()
}
