//! Field-level form errors, shown next to each field. The web edge adds the status a page
//! with them answers with (`web::forms`).

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn check(&mut self, field: &'static str, problem: Option<impl Into<String>>) {
        if let Some(message) = problem {
            self.add(field, message);
        }
    }

    /// Refuses each field whose text cannot be stored (see `params::unstorable`). Called before
    /// a form's other checks, so this message is the one shown beside the field.
    pub fn check_storable(&mut self, fields: &[(&'static str, &str)]) {
        for (field, text) in fields {
            self.check(field, super::params::unstorable(text));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All messages in field order, for the summary at the top of a form.
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}
