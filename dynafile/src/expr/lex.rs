//! The tokens of expressions, read one at a time at a byte offset (the parser asks for a
//! regular expression where one may stand, since `/` means nothing else).

use std::fmt;
use std::net::Ipv4Addr;

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A bare word: an attribute name, a keyword or a function name.
    Word(&'a str),
    /// `#name`, with its `#`.
    Name(&'a str),
    /// `:value`, with its `:`.
    Value(&'a str),
    /// A number literal without sign, as written.
    Number(&'a str),
    /// A quoted string literal, escapes resolved.
    Str(String),
    /// An IPv4 subnet, `10.0.0.0/8`.
    Subnet(Ipv4Addr, u8),
    /// Punctuation and operators.
    Symbol(Symbol),
    /// The end of the expression.
    End,
}

/// Punctuation and operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Symbol {
    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    Dot,
    Eq,
    EqEq,
    Ne,
    BangEq,
    Lt,
    Le,
    Gt,
    Ge,
    Tilde,
    Plus,
    Minus,
}

impl Symbol {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Symbol::OpenParen => "(",
            Symbol::CloseParen => ")",
            Symbol::OpenBracket => "[",
            Symbol::CloseBracket => "]",
            Symbol::Comma => ",",
            Symbol::Dot => ".",
            Symbol::Eq => "=",
            Symbol::EqEq => "==",
            Symbol::Ne => "<>",
            Symbol::BangEq => "!=",
            Symbol::Lt => "<",
            Symbol::Le => "<=",
            Symbol::Gt => ">",
            Symbol::Ge => ">=",
            Symbol::Tilde => "=~",
            Symbol::Plus => "+",
            Symbol::Minus => "-",
        }
    }
}

impl fmt::Display for Token<'_> {
    /// How the token is named in "expected .., found .." messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(word) => write!(f, "`{word}`"),
            Token::Name(name) | Token::Value(name) | Token::Number(name) => write!(f, "`{name}`"),
            Token::Str(text) => write!(f, "the string {text:?}"),
            Token::Subnet(address, prefix) => write!(f, "the subnet `{address}/{prefix}`"),
            Token::Symbol(symbol) => write!(f, "`{}`", symbol.text()),
            Token::End => f.write_str("the end of the expression"),
        }
    }
}

/// A token and where it is: `start..end` in bytes.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<'a> {
    pub(crate) token: Token<'a>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A lexing error: what is wrong and at which byte.
pub(crate) struct LexError {
    pub(crate) position: usize,
    pub(crate) message: String,
}

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Skips whitespace from `at`.
pub(crate) fn skip_space(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The token at byte `at` (after whitespace).
pub(crate) fn token_at(text: &str, at: usize) -> Result<Spanned<'_>, LexError> {
    let bytes = text.as_bytes();
    let start = skip_space(text, at);
    let spanned = |token, end| Ok(Spanned { token, start, end });
    let Some(&first) = bytes.get(start) else {
        return spanned(Token::End, start);
    };
    let second = bytes.get(start + 1).copied();
    let symbol = |symbol, len| spanned(Token::Symbol(symbol), start + len);
    match (first, second) {
        (b'(', _) => symbol(Symbol::OpenParen, 1),
        (b')', _) => symbol(Symbol::CloseParen, 1),
        (b'[', _) => symbol(Symbol::OpenBracket, 1),
        (b']', _) => symbol(Symbol::CloseBracket, 1),
        (b',', _) => symbol(Symbol::Comma, 1),
        (b'.', _) => symbol(Symbol::Dot, 1),
        (b'+', _) => symbol(Symbol::Plus, 1),
        (b'-', _) => symbol(Symbol::Minus, 1),
        (b'=', Some(b'=')) => symbol(Symbol::EqEq, 2),
        (b'=', Some(b'~')) => symbol(Symbol::Tilde, 2),
        (b'=', _) => symbol(Symbol::Eq, 1),
        (b'!', Some(b'=')) => symbol(Symbol::BangEq, 2),
        (b'<', Some(b'>')) => symbol(Symbol::Ne, 2),
        (b'<', Some(b'=')) => symbol(Symbol::Le, 2),
        (b'<', _) => symbol(Symbol::Lt, 1),
        (b'>', Some(b'=')) => symbol(Symbol::Ge, 2),
        (b'>', _) => symbol(Symbol::Gt, 1),
        (b'#' | b':', _) => {
            let end = word_end(bytes, start + 1);
            if end == start + 1 {
                return Err(LexError {
                    position: start,
                    message: format!(
                        "a `{}` placeholder needs a name of letters, digits or `_`",
                        char::from(first)
                    ),
                });
            }
            let word = &text[start..end];
            let token = if first == b'#' {
                Token::Name(word)
            } else {
                Token::Value(word)
            };
            spanned(token, end)
        }
        (b'\'' | b'"', _) => quoted(text, start),
        (c, _) if c.is_ascii_digit() => number_or_subnet(text, start),
        (c, _) if is_word_start(c) => {
            let end = word_end(bytes, start);
            spanned(Token::Word(&text[start..end]), end)
        }
        _ => {
            let found = text[start..].chars().next().unwrap_or(' ');
            Err(LexError {
                position: start,
                message: format!("unexpected character `{found}`"),
            })
        }
    }
}

fn word_end(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).copied().is_some_and(is_word_char) {
        at += 1;
    }
    at
}

/// A quoted string: `'..'` or `".."`; a backslash takes the next character as it is.
fn quoted(text: &str, start: usize) -> Result<Spanned<'_>, LexError> {
    let mut chars = text[start..].char_indices();
    let quote = chars.next().map(|(_, c)| c);
    let mut value = String::new();
    while let Some((offset, c)) = chars.next() {
        if Some(c) == quote {
            return Ok(Spanned {
                token: Token::Str(value),
                start,
                end: start + offset + c.len_utf8(),
            });
        }
        if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            }
        } else {
            value.push(c);
        }
    }
    Err(LexError {
        position: start,
        message: "the string is not closed".to_owned(),
    })
}

/// A number (`12`, `1.5`, `2e10`) or, with three dots and a `/`, an IPv4 subnet.
fn number_or_subnet(text: &str, start: usize) -> Result<Spanned<'_>, LexError> {
    let bytes = text.as_bytes();
    let mut end = start;
    while bytes
        .get(end)
        .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
    {
        end += 1;
    }
    let dots = text[start..end].bytes().filter(|c| *c == b'.').count();
    if dots >= 2 {
        return subnet(text, start, end);
    }
    // A trailing dot is not part of the number (`a[1].b` never gets here, but `1.` might).
    if text[start..end].ends_with('.') {
        end -= 1;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent = end + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            end = exponent;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
    }
    if bytes.get(end).copied().is_some_and(is_word_start) {
        return Err(LexError {
            position: start,
            message: format!(
                "`{}` is neither a number nor a name",
                &text[start..word_end(bytes, end)]
            ),
        });
    }
    Ok(Spanned {
        token: Token::Number(&text[start..end]),
        start,
        end,
    })
}

fn subnet(text: &str, start: usize, address_end: usize) -> Result<Spanned<'_>, LexError> {
    let bytes = text.as_bytes();
    let error = |message: &str| LexError {
        position: start,
        message: message.to_owned(),
    };
    let address: Ipv4Addr = text[start..address_end]
        .parse()
        .map_err(|_| error("not an IPv4 address"))?;
    if bytes.get(address_end) != Some(&b'/') {
        return Err(error(
            "an IPv4 address needs a `/` and a prefix length (`10.0.0.0/8`)",
        ));
    }
    let prefix_start = address_end + 1;
    let mut end = prefix_start;
    while bytes.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    let prefix = text[prefix_start..end]
        .parse::<u8>()
        .ok()
        .filter(|prefix| *prefix <= 32)
        .ok_or_else(|| error("a subnet's prefix length must be 0 to 32"))?;
    Ok(Spanned {
        token: Token::Subnet(address, prefix),
        start,
        end,
    })
}

/// A regular expression `/pattern/flags` at `at` (after whitespace): the pattern (`\/` stands
/// for `/`), the flags and the end.
pub(crate) fn regex_at(text: &str, at: usize) -> Result<(String, &str, usize), LexError> {
    let start = skip_space(text, at);
    if text.as_bytes().get(start) != Some(&b'/') {
        return Err(LexError {
            position: start,
            message: "expected a regular expression `/../` after `=~`".to_owned(),
        });
    }
    let mut pattern = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '/' => {
                let flags_start = start + 1 + offset + 1;
                let bytes = text.as_bytes();
                let mut end = flags_start;
                while bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
                    end += 1;
                }
                return Ok((pattern, &text[flags_start..end], end));
            }
            '\\' => match chars.next() {
                Some((_, '/')) => pattern.push('/'),
                Some((_, other)) => {
                    pattern.push('\\');
                    pattern.push(other);
                }
                None => pattern.push('\\'),
            },
            other => pattern.push(other),
        }
    }
    Err(LexError {
        position: start,
        message: "the regular expression is not closed with `/`".to_owned(),
    })
}
