//! `dynafile shell DIR`: an interactive prompt that runs PartiQL statements and prints their
//! items as a table.
//!
//! A statement may span lines and ends with a `;` at the end of a line. Lines starting with
//! `.` at the start of a statement are the shell's commands (`.help`, `.quit`). On a
//! terminal, lines are edited with rustyline and statements are kept in a history file in
//! the user's home directory (`~/.dynafile_history`: not in the table's directory, which
//! holds only the table's own files). When standard input is not a terminal, statements are
//! read from it line by line, with no prompt, so that scripts and tests can feed the shell;
//! the exit status is then 1 when a statement failed.
//!
//! `BEGIN;` opens a transaction: the statements that follow are checked (planned, as EXPLAIN
//! does) and collected, and the prompt shows how many are pending; `COMMIT;` runs them as one
//! transaction (`Dynafile::execute_transaction`) and prints what it read, `ROLLBACK;` drops
//! them. A statement that fails while collecting fails the transaction: what follows is
//! ignored until `COMMIT;` or `ROLLBACK;` ends it, and nothing of it is written.

use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use comfy_table::Table;
use dynafile::{Dynafile, Item, StatementOutput, Value};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::{CliResult, TableDir, report};

/// The file, in the user's home directory, that keeps the statements typed at the prompt.
const HISTORY_FILE: &str = ".dynafile_history";

const HELP: &str = "\
Statements (end each with `;` at the end of a line):
  SELECT * | path, .. FROM table [WHERE ..] [ORDER BY sort_key [ASC|DESC]] [LIMIT n]
  INSERT INTO table VALUE {'PK': .., ..}
  UPDATE table SET path = value [, ..] | REMOVE path [..] WHERE <full key> [AND ..] [RETURNING ..]
  DELETE FROM table WHERE <full key> [AND ..] [RETURNING ALL OLD *]
  EXPLAIN <statement>
Transactions (all writes, or all reads of items by full key):
  BEGIN;      collect the statements that follow
  COMMIT;     run them as one transaction: all of them or none
  ROLLBACK;   drop them
  EXISTS(SELECT * FROM table WHERE <full key> [AND ..])   a condition check, in a transaction
Commands:
  .help   this text
  .quit   leave the shell (also .exit, or end of input)";

pub(crate) fn run(table: TableDir) -> CliResult {
    let db = Dynafile::open(&table.dir)?;
    let mut shell = Shell {
        db,
        pending: String::new(),
        failed: false,
        finished_entry: None,
        transaction: None,
    };
    let interactive = io::stdin().is_terminal();
    if interactive {
        shell.interactive()?;
    } else {
        shell.piped()?;
    }
    if let Some(transaction) = shell.transaction.take() {
        eprintln!(
            "warning: the open transaction ({}) was not committed; nothing of it was written",
            pending_count(transaction.statements.len())
        );
    }
    let failed = shell.failed;
    shell.db.close()?;
    Ok(if failed && !interactive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether to read on.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

struct Shell {
    db: Dynafile,
    /// The lines of the statement being read, until its `;`.
    pending: String,
    /// A statement or command failed.
    failed: bool,
    /// The statement or command the last line completed, for the history.
    finished_entry: Option<String>,
    /// The transaction `BEGIN;` opened, until `COMMIT;` or `ROLLBACK;`.
    transaction: Option<Transaction>,
}

/// The statements collected since `BEGIN;`.
struct Transaction {
    statements: Vec<String>,
    /// A statement failed while collecting: the transaction can only end, writing nothing.
    failed: bool,
}

/// What a statement of the shell's own does to transactions.
#[derive(Clone, Copy)]
enum Control {
    Begin,
    Commit,
    Rollback,
}

impl Control {
    /// `BEGIN;`, `COMMIT;` or `ROLLBACK;` (in any case, `TRANSACTION` optional).
    fn of(statement: &str) -> Option<Control> {
        let words: Vec<String> = statement
            .trim_end_matches(';')
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        let (first, rest) = words.split_first()?;
        if !(rest.is_empty() || rest == ["TRANSACTION"]) {
            return None;
        }
        match first.as_str() {
            "BEGIN" => Some(Control::Begin),
            "COMMIT" => Some(Control::Commit),
            "ROLLBACK" => Some(Control::Rollback),
            _ => None,
        }
    }
}

/// `1 statement` or `n statements`.
fn pending_count(count: usize) -> String {
    match count {
        1 => "1 statement".to_owned(),
        n => format!("{n} statements"),
    }
}

impl Shell {
    fn interactive(&mut self) -> CliResult {
        let mut editor = DefaultEditor::new()?;
        let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(HISTORY_FILE));
        if let Some(path) = &history {
            // A missing or unreadable history starts an empty one.
            let _ = editor.load_history(path);
        }
        println!(
            "dynafile shell on table `{}` ({}); end statements with `;`, `.help` for help",
            self.db.name(),
            self.db.key_schema()
        );
        loop {
            let start = match &self.transaction {
                Some(transaction) => {
                    format!("dynafile [{} pending]> ", transaction.statements.len())
                }
                None => "dynafile> ".to_owned(),
            };
            let prompt = if self.pending.is_empty() {
                start
            } else {
                format!("{:>width$}", "...> ", width = start.len())
            };
            match editor.readline(&prompt) {
                Ok(line) => {
                    let flow = self.feed(&line);
                    if let Some(entry) = self.finished_entry.take() {
                        let _ = editor.add_history_entry(entry);
                    }
                    if flow == Flow::Quit {
                        break;
                    }
                }
                // Ctrl-C drops the statement being typed.
                Err(ReadlineError::Interrupted) => self.pending.clear(),
                Err(ReadlineError::Eof) => break,
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(path) = &history
            && let Err(error) = editor.save_history(path)
        {
            eprintln!("warning: history not saved to {}: {error}", path.display());
        }
        Ok(ExitCode::SUCCESS)
    }

    fn piped(&mut self) -> CliResult {
        for line in io::stdin().lock().lines() {
            let line = line.map_err(|error| format!("cannot read standard input: {error}"))?;
            if self.feed(&line) == Flow::Quit {
                return Ok(ExitCode::SUCCESS);
            }
        }
        // A last statement without its `;` still runs.
        if !self.pending.trim().is_empty() {
            let statement = std::mem::take(&mut self.pending);
            self.execute(statement.trim());
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Takes one line: a command, part of a statement, or the end of one (which runs it).
    fn feed(&mut self, line: &str) -> Flow {
        let trimmed = line.trim();
        if self.pending.is_empty() {
            if trimmed.is_empty() {
                return Flow::Continue;
            }
            if trimmed.starts_with('.') {
                self.finished_entry = Some(trimmed.to_owned());
                return self.command(trimmed);
            }
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        if trimmed.ends_with(';') {
            let statement = std::mem::take(&mut self.pending);
            let statement = statement.trim();
            self.finished_entry = Some(statement.to_owned());
            self.execute(statement);
        }
        Flow::Continue
    }

    fn command(&mut self, command: &str) -> Flow {
        match command {
            ".quit" | ".exit" => Flow::Quit,
            ".help" => {
                println!("{HELP}");
                Flow::Continue
            }
            other => {
                eprintln!("error: unknown command `{other}`; `.help` lists the commands");
                self.failed = true;
                Flow::Continue
            }
        }
    }

    fn execute(&mut self, statement: &str) {
        if let Some(control) = Control::of(statement) {
            self.control(control);
            return;
        }
        if self.transaction.is_some() {
            self.collect(statement);
            return;
        }
        let printed = self
            .db
            .execute(statement)
            .and_then(|output| self.print(output));
        if let Err(error) = printed {
            report(&error);
            self.failed = true;
        }
    }

    /// An error of the shell's own, as `report` prints the table's.
    fn fail(&mut self, message: &str) {
        eprintln!("error: {message}");
        self.failed = true;
    }

    fn control(&mut self, control: Control) {
        match (control, self.transaction.take()) {
            (Control::Begin, None) => {
                self.transaction = Some(Transaction {
                    statements: Vec::new(),
                    failed: false,
                });
            }
            (Control::Begin, Some(open)) => {
                let pending = pending_count(open.statements.len());
                self.transaction = Some(open);
                self.fail(&format!(
                    "a transaction is already open ({pending} pending); COMMIT; or ROLLBACK; \
                     ends it"
                ));
            }
            (Control::Commit | Control::Rollback, None) => {
                self.fail("no transaction is open; BEGIN; opens one");
            }
            (Control::Rollback, Some(open)) => {
                println!(
                    "(rolled back: {} dropped, nothing written)",
                    pending_count(open.statements.len())
                );
            }
            (Control::Commit, Some(open)) if open.failed => {
                self.fail("the transaction failed at an earlier statement; nothing was written");
            }
            (Control::Commit, Some(open)) if open.statements.is_empty() => {
                println!("(empty transaction: nothing to commit)");
            }
            (Control::Commit, Some(open)) => self.commit(&open.statements),
        }
    }

    /// Checks a statement of the open transaction by planning it, and collects it.
    fn collect(&mut self, statement: &str) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        if transaction.failed {
            self.fail(
                "statement ignored: the transaction failed at an earlier statement; COMMIT; or \
                 ROLLBACK; ends it, writing nothing",
            );
            return;
        }
        match self.db.execute_statement(statement).explain() {
            Ok(_) => transaction.statements.push(statement.to_owned()),
            Err(error) => {
                transaction.failed = true;
                report(&error);
                self.failed = true;
            }
        }
    }

    fn commit(&mut self, statements: &[String]) {
        let texts: Vec<&str> = statements.iter().map(String::as_str).collect();
        match self.db.execute_transaction(&texts) {
            Ok(items) if items.is_empty() => {
                println!("(committed: {})", pending_count(statements.len()));
            }
            Ok(items) => {
                let found: Vec<Item> = items.into_iter().flatten().collect();
                if !found.is_empty() {
                    println!("{}", self.table(&found));
                }
                let count = match found.len() {
                    1 => "1 item".to_owned(),
                    n => format!("{n} items"),
                };
                println!("({count} read by {})", pending_count(statements.len()));
            }
            Err(error) => {
                report(&error);
                eprintln!("(nothing was written)");
                self.failed = true;
            }
        }
    }

    fn print(&self, output: StatementOutput) -> dynafile::Result<()> {
        match output {
            StatementOutput::Items(mut items) => {
                let rows = items.by_ref().collect::<dynafile::Result<Vec<Item>>>()?;
                if !rows.is_empty() {
                    println!("{}", self.table(&rows));
                }
                let count = match rows.len() {
                    1 => "1 item".to_owned(),
                    n => format!("{n} items"),
                };
                match items.last_evaluated_key() {
                    Some(key) => {
                        let key = key.to_item(self.db.key_schema()).to_json();
                        println!("({count}; LIMIT stopped the read after {key})");
                    }
                    None => println!("({count})"),
                }
            }
            StatementOutput::Written(Some(item)) => {
                println!("{}", self.table(std::slice::from_ref(&item)));
            }
            StatementOutput::Plan(plan) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan).unwrap_or_else(|_| plan.to_string())
                );
            }
            // Writes without RETURNING print nothing, as `exec`; the enum may grow.
            _ => {}
        }
        Ok(())
    }

    /// The items as a table: a column per attribute, the key attributes first, then the
    /// others by name; strings as they are, other values as plain JSON.
    fn table(&self, rows: &[Item]) -> Table {
        let schema = self.db.key_schema();
        let mut columns: Vec<&str> = vec![schema.partition_key.name.as_str()];
        if let Some(sort) = &schema.sort_key {
            columns.push(sort.name.as_str());
        }
        let keys = columns.len();
        let mut others: Vec<&str> = rows
            .iter()
            .flat_map(|item| item.iter().map(|(name, _)| name.as_str()))
            .filter(|name| !columns[..keys].contains(name))
            .collect();
        others.sort_unstable();
        others.dedup();
        columns.extend(others);
        // A projection may leave out the key attributes: show only columns some item has.
        columns.retain(|name| rows.iter().any(|item| item.contains(name)));
        let mut table = Table::new();
        table.set_header(columns.iter().copied());
        for item in rows {
            table.add_row(columns.iter().map(|name| match item.get(name) {
                Some(Value::S(text)) => text.clone(),
                Some(value) => value.to_json().to_string(),
                None => String::new(),
            }));
        }
        table
    }
}
