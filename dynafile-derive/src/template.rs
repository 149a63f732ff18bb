//! Key templates: text with `{field}` parts (`"USER#{id}"`), `{{` and `}}` for braces.

/// One part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text as it is.
    Literal(String),
    /// The value of the named field.
    Field(String),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) parts: Vec<Part>,
}

impl Template {
    /// Parses a template; the error says what is wrong and how to write it.
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => {
                                return Err(format!(
                                    "unclosed `{{` in the key template {text:?}: name a field as \
                                     `{{field}}`, or write `{{{{` for a brace"
                                ));
                            }
                        }
                    }
                    let name = name.trim().to_owned();
                    if !is_identifier(&name) {
                        return Err(format!(
                            "`{{{name}}}` in the key template {text:?} is not a field name: name a \
                             field as `{{field}}`, or write `{{{{` and `}}}}` for braces"
                        ));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(name));
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` in the key template {text:?}: write `}}}}` for a brace"
                    ));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if parts.is_empty() {
            return Err(
                "a key template must not be empty: DynamoDB refuses empty key strings".to_owned(),
            );
        }
        Ok(Template { parts })
    }

    /// The fields the template names, in order (a field named twice, once).
    pub(crate) fn fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let Part::Field(name) = part
                && !fields.contains(&name.as_str())
            {
                fields.push(name);
            }
        }
        fields
    }

    /// The template as a `format!` string and the fields of its `{}`s, in order.
    pub(crate) fn format_string(&self) -> (String, Vec<&str>) {
        let mut format = String::new();
        let mut arguments = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => format.push_str(&text.replace('{', "{{").replace('}', "}}")),
                Part::Field(name) => {
                    format.push_str("{}");
                    arguments.push(name.as_str());
                }
            }
        }
        (format, arguments)
    }
}

/// A Rust identifier as field names are (raw `r#type` included).
fn is_identifier(name: &str) -> bool {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Part {
        Part::Literal(text.to_owned())
    }

    fn field(name: &str) -> Part {
        Part::Field(name.to_owned())
    }

    #[test]
    fn parses_fields_literals_and_braces() {
        assert_eq!(
            Template::parse("USER#{id}#{ name }").map(|t| t.parts),
            Ok(vec![
                literal("USER#"),
                field("id"),
                literal("#"),
                field("name")
            ])
        );
        assert_eq!(
            Template::parse("PROFILE").map(|t| t.parts),
            Ok(vec![literal("PROFILE")])
        );
        assert_eq!(
            Template::parse("{{x}}{id}{id}").map(|t| t.parts),
            Ok(vec![literal("{x}"), field("id"), field("id")])
        );
        let template = Template::parse("{{x}}#{id}#{id}").unwrap();
        assert_eq!(template.fields(), vec!["id"]);
        assert_eq!(
            template.format_string(),
            ("{{x}}#{}#{}".to_owned(), vec!["id", "id"])
        );
    }

    #[test]
    fn refuses_malformed_templates() {
        assert_eq!(
            Template::parse("USER#{id"),
            Err(
                "unclosed `{` in the key template \"USER#{id\": name a field as `{field}`, or \
                 write `{{` for a brace"
                    .to_owned()
            )
        );
        assert_eq!(
            Template::parse("a}b"),
            Err("unmatched `}` in the key template \"a}b\": write `}}` for a brace".to_owned())
        );
        assert_eq!(
            Template::parse("{}"),
            Err(
                "`{}` in the key template \"{}\" is not a field name: name a field as \
                 `{field}`, or write `{{` and `}}` for braces"
                    .to_owned()
            )
        );
        assert_eq!(
            Template::parse("{a-b}").map(|_| ()).unwrap_err(),
            "`{a-b}` in the key template \"{a-b}\" is not a field name: name a field as \
             `{field}`, or write `{{` and `}}` for braces"
        );
        assert_eq!(
            Template::parse(""),
            Err("a key template must not be empty: DynamoDB refuses empty key strings".to_owned())
        );
    }
}
