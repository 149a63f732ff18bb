//! The one error type of dynafile.

use std::fmt;
use std::path::PathBuf;

use crate::item::Item;
use crate::number::NumberError;

/// `Result` with dynafile's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, in variants a caller can act on.
///
/// Messages are lowercase and name what was wrong (the attribute, the file, the offset), so
/// they read well after `error: `.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is invalid: a missing or wrongly typed key, an item too large, a bad value.
    /// Nothing was written.
    #[error("{0}")]
    Validation(ValidationError),

    /// The condition of a put, delete or update (a condition expression, or the absence check
    /// of `put_if_absent`) was false for the item as it was (DynamoDB's
    /// `ConditionalCheckFailedException`, with its message). Nothing was written.
    #[error("the conditional request failed")]
    ConditionalCheckFailed {
        /// The item as it was, when the request asked for it
        /// (DynamoDB's `ReturnValuesOnConditionCheckFailure: ALL_OLD`) and it existed.
        item: Option<Box<Item>>,
    },

    /// A transaction was canceled: an action's condition was false, or an update was invalid
    /// for the item as stored (DynamoDB's `TransactionCanceledException`). Nothing was
    /// written.
    #[error("transaction canceled, reasons by {reasons_by}: [{}]", codes(reasons))]
    TransactionCanceled {
        /// One reason per action (or PartiQL statement), in the order they were given:
        /// [`CancellationReason::None`] for those that would have succeeded.
        reasons: Vec<CancellationReason>,
        /// What the transaction was made of, so what `reasons` are by: the actions of
        /// [`Dynafile::transact_write`](crate::Dynafile::transact_write), or the statements
        /// of [`Dynafile::execute_transaction`](crate::Dynafile::execute_transaction).
        reasons_by: TransactionPart,
    },

    /// A PartiQL `INSERT` found an item with the same key already in the table (DynamoDB's
    /// `DuplicateItemException`). Nothing was written.
    #[error("duplicate primary key exists in table ({key})")]
    DuplicateItem {
        /// The item's key, as `PK = "user#1", SK = "profile"`.
        key: String,
    },

    /// A PartiQL statement does not parse: `line` and `column` (both from 1, the column in
    /// characters) point at where it went wrong, and `message` says what was expected there.
    /// [`Error::excerpt`] shows the statement's line with a caret under the column.
    #[error("syntax error at line {line}, column {column}: {message}")]
    Parse {
        /// The line of the statement, from 1.
        line: u64,
        /// The column in that line, in characters from 1.
        column: u64,
        /// What was expected and what was found instead.
        message: String,
        /// The whole statement as given.
        statement: String,
    },

    /// A stored item does not read as the Rust type asked for (the typed API): an attribute
    /// is missing or of another type, or the item is of another entity type. Nothing was
    /// written; the item is as it was.
    #[error("item ({key}): {error}")]
    Deserialize {
        /// The item's key, as `PK = "USER#42", SK = "PROFILE"`.
        key: String,
        /// What did not read, and the attribute where it happened.
        error: ValidationError,
    },

    /// The table directory is held by another process (or another open handle in this one).
    #[error("table at {} is locked by another process or handle", path.display())]
    Locked {
        /// The table directory.
        path: PathBuf,
    },

    /// The directory holds no table, or something that is not a dynafile table.
    #[error("{} is not a dynafile table: {reason}", path.display())]
    NotATable {
        /// The directory.
        path: PathBuf,
        /// What was missing or unexpected.
        reason: String,
    },

    /// A file of the table does not hold what it should: a checksum mismatch, a truncated or
    /// malformed record. The data in it was not used.
    #[error("corrupt file {}{}: {reason}", file.display(), offset.map(|o| format!(" at offset {o}")).unwrap_or_default())]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// Where in the file, when known.
        offset: Option<u64>,
        /// What was wrong.
        reason: String,
    },

    /// The table was written by a newer format version than this library reads.
    #[error("{} has format version {found}; this version of dynafile reads up to {supported}", path.display())]
    Incompatible {
        /// The file whose version is unsupported.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The newest version this library reads.
        supported: u32,
    },

    /// A file operation failed.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A subscription's buffer overflowed: its reader fell behind the writers by more than
    /// its capacity, and `dropped` events were dropped, from commit `resume_from` on (later
    /// commits, after this error was returned, are received again). The events dropped can
    /// be read from the durable stream with `Dynafile::stream_from(resume_from)` while it
    /// keeps them.
    #[error(
        "the subscription fell behind and dropped {dropped} events; resume from sequence \
         number {resume_from} with stream_from"
    )]
    StreamLagged {
        /// Events dropped.
        dropped: u64,
        /// The sequence number of the first commit dropped.
        resume_from: u64,
    },

    /// The durable stream no longer keeps the events asked for: retention removed them.
    #[error(
        "the stream no longer keeps sequence number {requested}; the oldest available is \
         {oldest}"
    )]
    StreamTrimmed {
        /// The sequence number asked for.
        requested: u64,
        /// The oldest sequence number the stream keeps.
        oldest: u64,
    },

    /// The table was closed: its subscriptions receive nothing more.
    #[error("the table was closed; its stream receives no more events")]
    StreamClosed,

    /// An earlier write failed in a way that leaves the table's durable state unknown (a failed
    /// log sync); the handle refuses further writes. Reopening the table recovers it.
    #[error("table stopped accepting writes after an earlier failure ({reason}); reopen it")]
    Poisoned {
        /// The failure that stopped the table.
        reason: String,
    },
}

/// Why one action (or PartiQL statement) of a canceled transaction failed
/// ([`Error::TransactionCanceled`]), as DynamoDB's `CancellationReason`:
/// [`CancellationReason::code`] is its `Code`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancellationReason {
    /// The action did not fail; another one canceled the transaction (code `None`).
    None,
    /// The action's condition was false for the item as it was (`ConditionalCheckFailed`).
    ConditionalCheckFailed {
        /// The item as it was, when the action asked for it
        /// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`) and it existed.
        item: Option<Box<Item>>,
    },
    /// The action is invalid for the item as stored: an update adds to a string, makes the
    /// item too large (`ValidationError`).
    ValidationError(ValidationError),
    /// A PartiQL `INSERT` of a transaction ([`Dynafile::execute_transaction`](crate::Dynafile::execute_transaction))
    /// found an item with its key already in the table (`DuplicateItem`).
    DuplicateItem,
}

impl CancellationReason {
    /// DynamoDB's code of this reason: `None`, `ConditionalCheckFailed`, `ValidationError`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            CancellationReason::None => "None",
            CancellationReason::ConditionalCheckFailed { .. } => "ConditionalCheckFailed",
            CancellationReason::ValidationError(_) => "ValidationError",
            CancellationReason::DuplicateItem => "DuplicateItem",
        }
    }
}

impl fmt::Display for CancellationReason {
    /// The code, and for a failure what failed: `ConditionalCheckFailed: the conditional
    /// request failed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancellationReason::None => f.write_str(self.code()),
            CancellationReason::ConditionalCheckFailed { .. } => {
                write!(f, "{}: the conditional request failed", self.code())
            }
            CancellationReason::ValidationError(error) => write!(f, "{}: {error}", self.code()),
            CancellationReason::DuplicateItem => {
                write!(f, "{}: duplicate primary key exists in table", self.code())
            }
        }
    }
}

/// What a transaction is made of, as its errors name them: [`Error::TransactionCanceled`]'s
/// reasons are by these, and a validation error names one as `(action 2)` or `(statement 2)`,
/// counted from 0 in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionPart {
    /// An action of [`Dynafile::transact_write`](crate::Dynafile::transact_write).
    Action,
    /// A PartiQL statement of
    /// [`Dynafile::execute_transaction`](crate::Dynafile::execute_transaction).
    Statement,
}

impl TransactionPart {
    /// The part's name in messages: `action` or `statement`.
    #[must_use]
    pub fn noun(self) -> &'static str {
        match self {
            TransactionPart::Action => "action",
            TransactionPart::Statement => "statement",
        }
    }
}

impl fmt::Display for TransactionPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

fn codes(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(CancellationReason::code)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Details of an invalid request ([`Error::Validation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The attribute the problem is about, when there is one.
    pub attribute: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// The expression the problem is in, for an invalid expression.
    pub expression: Option<String>,
    /// Where in [`ValidationError::expression`] the problem is: a byte offset.
    pub position: Option<usize>,
}

impl ValidationError {
    /// A validation error about `attribute` (or about no attribute in particular).
    pub(crate) fn new(attribute: Option<String>, reason: impl Into<String>) -> ValidationError {
        ValidationError {
            attribute,
            reason: reason.into(),
            expression: None,
            position: None,
        }
    }

    /// The expression and, under it, a caret at the position of the problem, for showing
    /// to a user (as the CLI does); `None` for an error that is not about an expression.
    ///
    /// ```
    /// # use dynafile::{Dynafile, Error, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
    /// let Err(Error::Validation(error)) = db.scan().filter_expression("age <").iter() else {
    ///     panic!("an operand is missing");
    /// };
    /// assert_eq!(error.caret_lines().as_deref(), Some("age <\n     ^"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn caret_lines(&self) -> Option<String> {
        let expression = self.expression.as_deref()?;
        let position = self
            .position
            .unwrap_or(expression.len())
            .min(expression.len());
        // Columns count characters, so the caret sits under the right one after non-ASCII text.
        let column = expression
            .char_indices()
            .take_while(|(offset, _)| *offset < position)
            .count();
        Some(format!("{expression}\n{}^", " ".repeat(column)))
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.attribute {
            Some(attribute) => write!(f, "attribute `{attribute}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for ValidationError {}

impl Error {
    /// A validation error about no attribute in particular.
    pub(crate) fn validation(reason: impl Into<String>) -> Error {
        Error::Validation(ValidationError::new(None, reason))
    }

    /// A validation error about one attribute.
    pub(crate) fn invalid_attribute(
        attribute: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Validation(ValidationError::new(Some(attribute.into()), reason))
    }

    /// A validation error about an expression, at a byte offset of it.
    pub(crate) fn invalid_expression(
        expression: &str,
        position: Option<usize>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Validation(ValidationError {
            attribute: None,
            reason: reason.into(),
            expression: Some(expression.to_owned()),
            position,
        })
    }

    /// An I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A corruption found in `file`.
    pub(crate) fn corrupt(
        file: impl Into<PathBuf>,
        offset: Option<u64>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Corrupt {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }
}

impl Error {
    /// For [`Error::Parse`], the statement's line at the error with a caret line under the
    /// column, for printing below the message:
    ///
    /// ```text
    /// SELECT * FORM shop
    ///          ^
    /// ```
    ///
    /// `None` for every other error. Tabs before the column are kept in the caret line so the
    /// caret stays aligned in a terminal.
    #[must_use]
    pub fn excerpt(&self) -> Option<String> {
        let Error::Parse {
            line,
            column,
            statement,
            ..
        } = self
        else {
            return None;
        };
        let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        let text = statement.lines().nth(index).unwrap_or_default();
        let before = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        let padding: String = text
            .chars()
            .chain(std::iter::repeat(' '))
            .take(before)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        Some(format!("{text}\n{padding}^"))
    }
}

impl From<NumberError> for Error {
    fn from(error: NumberError) -> Error {
        Error::validation(error.to_string())
    }
}
