//! The sqlparser dialect of DynamoDB's PartiQL.
//!
//! sqlparser has no dialect for it, so this one starts from the trait's defaults (ANSI-like)
//! and switches on what PartiQL needs: `{'k': v}` maps, `[..]` lists, `a[0]` subscripts and `?`
//! parameters, plus three PartiQL forms no sqlparser dialect parses, added through the
//! dialect's prefix and infix hooks:
//!
//! - `x IS [NOT] MISSING`,
//! - `x [NOT] IN [a, b]` (a list in brackets, where SQL uses parentheses; read as an
//!   unparenthesized IN target, which some dialects have),
//! - `<<a, b>>` set literals.
//!
//! sqlparser's AST has no node for the first and the last, so they are carried in it as calls
//! of functions whose names no statement can spell (see [`MarkerFunction`]); only this module
//! builds and recognizes them.

use sqlparser::ast::{
    AccessExpr, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Subscript,
};
use sqlparser::dialect::{Dialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// DynamoDB's PartiQL as a sqlparser dialect.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PartiqlDialect;

/// A PartiQL form that sqlparser's AST has no node for, carried as a function call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerFunction {
    /// `x IS MISSING`, one argument.
    IsMissing,
    /// `x IS NOT MISSING`, one argument.
    IsNotMissing,
    /// `<<a, b, ..>>`, the elements as arguments.
    SetLiteral,
}

impl MarkerFunction {
    const ALL: [MarkerFunction; 3] = [
        MarkerFunction::IsMissing,
        MarkerFunction::IsNotMissing,
        MarkerFunction::SetLiteral,
    ];

    /// The function's name: it holds spaces, which no unquoted identifier can, so no statement
    /// calls it by accident (the identifier is also marked unquoted, which a quoted name is not).
    fn name(self) -> &'static str {
        match self {
            MarkerFunction::IsMissing => "IS MISSING",
            MarkerFunction::IsNotMissing => "IS NOT MISSING",
            MarkerFunction::SetLiteral => "SET LITERAL",
        }
    }

    /// The call of this marker with `args`.
    fn call(self, args: Vec<Expr>) -> Expr {
        Expr::Function(Function {
            name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(self.name()))]),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(FunctionArgumentList {
                duplicate_treatment: None,
                args: args
                    .into_iter()
                    .map(|arg| FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)))
                    .collect(),
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        })
    }

    /// The marker a function name stands for, if it is one.
    pub(crate) fn of(name: &ObjectName) -> Option<MarkerFunction> {
        let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
            return None;
        };
        if ident.quote_style.is_some() {
            return None;
        }
        MarkerFunction::ALL
            .into_iter()
            .find(|marker| marker.name() == ident.value)
    }
}

impl Dialect for PartiqlDialect {
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_'
    }

    /// Only `"double quoted"` identifiers, as PartiQL has (no backticks).
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '"'
    }

    /// `{'key': value}` map literals.
    fn supports_dictionary_syntax(&self) -> bool {
        true
    }

    /// `N'..'` is the identifier `N` followed by a string, not a national string literal.
    fn supports_national_string_literal(&self) -> bool {
        false
    }

    /// Left false on purpose: sqlparser's PartiQL mode turns `a[0]` subscripts into JSON
    /// access and drops them from compound paths.
    fn supports_partiql(&self) -> bool {
        false
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if parser.peek_token_ref().token == Token::ShiftLeft {
            // Elements bind tighter than `>>` (a shift operator to sqlparser), so the closing
            // `>>` ends the last element instead of continuing it.
            return Some(parse_set_literal(
                parser,
                self.prec_value(Precedence::Caret),
            ));
        }
        None
    }

    /// `x IN [a, b]` is read as `x IN <expression>` with a list expression, which the
    /// conversion spreads into the candidates; this needs no infix hook, and so no copy of `x`.
    fn supports_in_unparenthesized_expr(&self) -> bool {
        true
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        _precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        let negated = peek_is_missing(parser)?;
        if !is_plain_path(expr) {
            // The hook only lends `expr`, so the marker holds a copy of it: kept to plain paths,
            // which are what DynamoDB tests for MISSING, a copy stays small and shallow.
            let at = parser.peek_token_ref().span.start;
            return Some(Err(ParserError::ParserError(format!(
                "expected an attribute path before IS [NOT] MISSING, found {expr}{at}"
            ))));
        }
        // IS, [NOT,] MISSING
        for _ in 0..if negated { 3 } else { 2 } {
            parser.advance_token();
        }
        let marker = if negated {
            MarkerFunction::IsNotMissing
        } else {
            MarkerFunction::IsMissing
        };
        Some(Ok(marker.call(vec![expr.clone()])))
    }
}

/// A path of names and literal subscripts: `a`, `a.b`, `a[0].b`, `a['k']`.
fn is_plain_path(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => true,
        Expr::CompoundFieldAccess { root, access_chain } => {
            matches!(**root, Expr::Identifier(_))
                && access_chain.iter().all(|access| {
                    matches!(
                        access,
                        AccessExpr::Dot(Expr::Identifier(_))
                            | AccessExpr::Subscript(Subscript::Index {
                                index: Expr::Value(_)
                            })
                    )
                })
        }
        _ => false,
    }
}

/// `Some(negated)` when the next tokens are `IS [NOT] MISSING`.
fn peek_is_missing(parser: &Parser) -> Option<bool> {
    if !is_keyword(&parser.peek_nth_token_ref(0).token, Keyword::IS) {
        return None;
    }
    let second = &parser.peek_nth_token_ref(1).token;
    if is_word(second, "MISSING") {
        return Some(false);
    }
    (is_keyword(second, Keyword::NOT) && is_word(&parser.peek_nth_token_ref(2).token, "MISSING"))
        .then_some(true)
}

/// `<<a, b>>`: a set literal.
fn parse_set_literal(parser: &mut Parser, element_precedence: u8) -> Result<Expr, ParserError> {
    parser.expect_token(&Token::ShiftLeft)?;
    let elements =
        parser.parse_comma_separated(|parser| parser.parse_subexpr(element_precedence))?;
    parser.expect_token(&Token::ShiftRight)?;
    Ok(MarkerFunction::SetLiteral.call(elements))
}

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword && word.quote_style.is_none())
}

/// An unquoted word, whether sqlparser knows it as a keyword or not.
fn is_word(token: &Token, text: &str) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(text))
}
