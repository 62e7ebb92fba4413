//! Form bodies as name/value pairs, so repeated names (tick boxes) keep every value.

#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

/// What a form, query or JSON body with a NUL character gets: no database stores one in
/// text (PostgreSQL refuses it), so it is refused before anything is read or written.
pub const NUL_REFUSED: &str = "What was sent contains a NUL character, which cannot be saved. \
     It sometimes comes with text copied from another program: remove it and try again.";

/// Whether JSON text holds a NUL, as a raw byte or as the escape `\u0000`.
pub fn json_has_nul(json: &[u8]) -> bool {
    if json.contains(&0) {
        return true;
    }
    let mut backslashes = 0usize;
    for (i, &b) in json.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        // An escape starts at a backslash preceded by an even number of backslashes.
        if b == b'u' && backslashes % 2 == 1 && json[i + 1..].starts_with(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

impl FormData {
    /// Whether any name or value holds a NUL character.
    pub fn has_nul(&self) -> bool {
        self.0
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    }
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }
    /// Every name and value, in order (to keep a form to finish later).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }
    /// The first value for a name, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    /// A date typed in three boxes (`{name}_day`, `{name}_month`, `{name}_year`, as the
    /// NHS design system asks for dates people know, like a date of birth) as
    /// "YYYY-MM-DD"; or the single field `name` when the boxes were not sent (the API,
    /// older forms). Boxes that are not numbers are passed on as typed, to be refused by
    /// the date check with the field named.
    pub fn date(&self, name: &str) -> String {
        let part = |p: &str| self.get(&format!("{name}_{p}")).trim().to_string();
        let (d, m, y) = (part("day"), part("month"), part("year"));
        if d.is_empty() && m.is_empty() && y.is_empty() {
            return self.get(name).to_string();
        }
        let pad = |s: &str| match s.parse::<u32>() {
            Ok(n) if s.len() <= 2 => format!("{n:02}"),
            _ => s.to_string(),
        };
        format!("{y}-{}-{}", pad(&m), pad(&d))
    }
    /// Sets a value (replacing any), e.g. to show a stored answer in a form.
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.to_string()));
    }
    /// Every value for a name.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// A ticked box.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "yes" | "on" | "true" | "1")
    }
    /// An optional whole number.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, crate::AppError> {
        let v = self.get(name).trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| crate::AppError::BadRequest(format!("{name} must be a whole number")))
    }
    pub fn i64(&self, name: &str) -> Result<i64, crate::AppError> {
        self.opt_i64(name)?
            .ok_or_else(|| crate::AppError::BadRequest(format!("{name} is missing")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_in_forms_and_json_however_written() {
        assert!(FormData::parse(b"name=Ann%00e").has_nul());
        assert!(!FormData::parse(b"name=Ann%2000").has_nul());
        assert!(json_has_nul(br#"{"a":"x\u0000"}"#));
        assert!(json_has_nul(br#"{"a":"\\\u0000"}"#));
        assert!(
            !json_has_nul(br#"{"a":"\\u0000"}"#),
            "an escaped backslash, then text"
        );
        assert!(json_has_nul(b"{\"a\":\"\0\"}"));
        assert!(!json_has_nul(br#"{"a":"u0000"}"#));
    }
}
