//! The page a destructive action shows first: what will happen, a button
//! that does it (a POST with CSRF), and a way back. Nothing changes until
//! the button is pressed.

use askama::Template;

use super::PageContext;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage<'a> {
    pub ctx: &'a PageContext,
    pub title: String,
    /// What will happen, one paragraph each.
    pub text: Vec<String>,
    /// Where the button posts.
    pub action: String,
    pub button: String,
    /// The button does something that cannot be undone.
    pub danger: bool,
    /// A checkbox the action reads: (field name, label, note beneath).
    pub option: Option<(String, String, String)>,
    /// Where "go back" leads.
    pub back: String,
}
