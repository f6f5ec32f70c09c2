//! A registration as submitted (form or JSON) and its validation.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Country, EmailAddress, FieldError, Invalid, Language, Name, TimeZone, Validator,
};
use crate::error::AppError;
use crate::service::fields::{opt_flag, opt_text};

/// A registration as submitted by the form or the API, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RegistrationInput)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub furigana: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = Email)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "JP")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "en")]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "opt_flag")]
    pub consent: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct RegistrationInput {
    pub name: Name,
    pub furigana: Option<Name>,
    pub email: EmailAddress,
    pub organization: Name,
    pub country: Country,
    pub time_zone: TimeZone,
    pub language: Language,
}

impl RegistrationFields {
    pub fn validate(&self) -> Result<RegistrationInput, AppError> {
        self.check().map_err(AppError::Validation)
    }

    fn check(&self) -> Result<RegistrationInput, Vec<FieldError>> {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let mut v = Validator::new();
        let name = v.check("name", Name::parse(&text(&self.name)));
        let furigana = v.check(
            "furigana",
            self.furigana.as_deref().map(Name::parse).transpose(),
        );
        let email = v.check("email", EmailAddress::parse(&text(&self.email)));
        let organization = v.check("organization", Name::parse(&text(&self.organization)));
        let country = v.check("country", Country::parse(&text(&self.country)));
        let time_zone = v.check(
            "time_zone",
            self.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let language = v.check(
            "language",
            self.language
                .as_deref()
                .map_or(Ok(Language::Ja), Language::parse),
        );
        if self.consent != Some(true) {
            v.add("consent", Invalid::new("invalid.consent_required"));
        }
        v.finish()?;
        match (
            name,
            furigana,
            email,
            organization,
            country,
            time_zone,
            language,
        ) {
            (
                Some(name),
                Some(furigana),
                Some(email),
                Some(organization),
                Some(country),
                Some(time_zone),
                Some(language),
            ) => Ok(RegistrationInput {
                name,
                furigana,
                email,
                organization,
                country,
                time_zone,
                language,
            }),
            _ => crate::service::organizations::unreachable_validation(),
        }
    }
}
