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
    };
    let interactive = io::stdin().is_terminal();
    if interactive {
        shell.interactive()?;
    } else {
        shell.piped()?;
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
            let prompt = if self.pending.is_empty() {
                "dynafile> "
            } else {
                "     ...> "
            };
            match editor.readline(prompt) {
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
        let printed = self
            .db
            .execute(statement)
            .and_then(|output| self.print(output));
        if let Err(error) = printed {
            report(&error);
            self.failed = true;
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
