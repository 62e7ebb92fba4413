//! Form bodies as name/value pairs, so repeated names (tick boxes) keep every value.

#[derive(Debug, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }
    /// The first value for a name, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
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
