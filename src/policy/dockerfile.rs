//! Dockerfiles read into stages and instructions, with the line of each instruction.
//!
//! Follows Docker's syntax as far as the rules need it: the `escape` directive, line
//! continuations, comments, heredocs, `FROM [--flags] image [AS name]` and the rule that only
//! `ARG` may come before the first `FROM`. Unknown instructions are errors, as in `docker build`.

use std::path::{Path, PathBuf};

use super::error::{self, LoadError, Position};

const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One instruction: its keyword (upper case), its arguments and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line of the keyword.
    pub line: usize,
    /// `FROM`, `RUN`, `USER`, ...
    pub keyword: String,
    /// Everything after the keyword, continuation lines joined.
    pub args: String,
}

/// A build stage: its `FROM` and the instructions that follow it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The `FROM` instruction.
    pub from: Instruction,
    /// The image (or earlier stage) it starts from, as written.
    pub base: String,
    /// The `AS` name, if any.
    pub name: Option<String>,
    /// The instructions after `FROM`.
    pub instructions: Vec<Instruction>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The file.
    pub path: PathBuf,
    /// `ARG`s before the first `FROM`.
    pub global_args: Vec<Instruction>,
    /// The stages in order; never empty.
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// Reads and parses the Dockerfile at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::parse(path, &error::read(path)?)
    }

    /// Parses `bytes` (the contents of `path`, which names the file in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, LoadError> {
        let text = error::utf8(path, bytes)?;
        let fail = |line: usize, message: String| LoadError::syntax(path, Position::line(line), message);
        let mut global_args = Vec::new();
        let mut stages: Vec<Stage> = Vec::new();
        for instruction in instructions(text).map_err(|(line, message)| fail(line, message))? {
            match (instruction.keyword.as_str(), stages.last_mut()) {
                ("FROM", _) => stages.push(stage(instruction).map_err(|(line, m)| fail(line, m))?),
                (_, Some(stage)) => stage.instructions.push(instruction),
                ("ARG", None) => global_args.push(instruction),
                (keyword, None) => return Err(fail(instruction.line, format!("{keyword} before the first FROM"))),
            }
        }
        if stages.is_empty() {
            return Err(fail(text.lines().count().max(1), "no FROM instruction".into()));
        }
        Ok(Self { path: path.to_path_buf(), global_args, stages })
    }

    /// The stage a build of `target` produces: that named stage, or the last one.
    pub fn target(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(name) => self.stages.iter().find(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name))),
            None => self.stages.last(),
        }
    }

    /// The last `keyword` instruction in effect in `stage`: its own, or one inherited from the
    /// earlier stages it is built `FROM`.
    pub fn inherited<'a>(&'a self, stage: &'a Stage, keyword: &str) -> Option<&'a Instruction> {
        let mut current = stage;
        let mut index = self.stages.iter().position(|s| std::ptr::eq(s, stage))?;
        loop {
            if let Some(found) = current.instructions.iter().rev().find(|i| i.keyword == keyword) {
                return Some(found);
            }
            let named = |s: &Stage| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&current.base));
            index = self.stages[..index].iter().rposition(named)?;
            current = &self.stages[index];
        }
    }
}

fn stage(from: Instruction) -> Result<Stage, (usize, String)> {
    let words: Vec<&str> = from.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
    let (base, name) = match words.as_slice() {
        [base] => (base.to_string(), None),
        [base, as_, name] if as_.eq_ignore_ascii_case("as") => (base.to_string(), Some(name.to_string())),
        _ => return Err((from.line, format!("FROM needs `image [AS name]`, found {:?}", from.args))),
    };
    Ok(Stage { from, base, name, instructions: Vec::new() })
}

/// Splits `text` into instructions: directives, comments and blank lines dropped,
/// continuations joined, heredoc bodies skipped.
fn instructions(text: &str) -> Result<Vec<Instruction>, (usize, String)> {
    let escape = escape_directive(text);
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let mut found = Vec::new();
    while let Some((line, first)) = lines.next() {
        if is_comment_or_blank(first) {
            continue;
        }
        let mut logical = String::new();
        let mut current = first;
        loop {
            let trimmed = current.trim_end();
            match trimmed.strip_suffix(escape) {
                Some(head) => logical.push_str(head),
                None => {
                    logical.push_str(trimmed);
                    break;
                }
            }
            match lines.by_ref().find(|(_, next)| !is_comment_or_blank(next)) {
                Some((_, next)) => current = next,
                None => break,
            }
        }
        let (keyword, args) = logical.trim().split_once(char::is_whitespace).unwrap_or((logical.trim(), ""));
        let keyword = keyword.to_ascii_uppercase();
        if !INSTRUCTIONS.contains(&keyword.as_str()) {
            return Err((line, format!("unknown instruction {keyword:?}")));
        }
        for (terminator, strip_tabs) in heredocs(args) {
            let ends = |body: &str| match strip_tabs {
                true => body.trim_start_matches('\t') == terminator,
                false => body == terminator,
            };
            if !lines.by_ref().any(|(_, body)| ends(body)) {
                return Err((line, format!("heredoc <<{terminator} is never closed")));
            }
        }
        found.push(Instruction { line, keyword, args: args.trim().to_owned() });
    }
    Ok(found)
}

/// The heredoc terminators an instruction opens (`<<EOF`, `<<-"EOF"`) and whether tabs are stripped.
fn heredocs(args: &str) -> Vec<(String, bool)> {
    args.match_indices("<<")
        .filter_map(|(at, _)| {
            let rest = &args[at + 2..];
            let (strip_tabs, rest) = rest.strip_prefix('-').map_or((false, rest), |r| (true, r));
            let rest = rest.trim_start_matches(['"', '\'']);
            let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (!word.is_empty() && word.chars().next().is_some_and(|c| !c.is_ascii_digit())).then_some((word, strip_tabs))
        })
        .collect()
}

fn is_comment_or_blank(line: &str) -> bool {
    let line = line.trim_start();
    line.is_empty() || line.starts_with('#')
}

/// The escape character set by a leading `# escape=` directive (default `\`).
fn escape_directive(text: &str) -> char {
    for line in text.lines() {
        let Some((name, value)) = line.trim().strip_prefix('#').and_then(|d| d.split_once('=')) else {
            break;
        };
        if name.trim().eq_ignore_ascii_case("escape") && value.trim() == "`" {
            return '`';
        }
    }
    '\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI_STAGE: &str = "\
# syntax=docker/dockerfile:1
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE} AS base
RUN apt-get update \\
    # a comment inside a continuation
    && apt-get install -y python3
USER 10001:10001
HEALTHCHECK CMD [\"true\"]

FROM base AS dev
COPY <<EOF /etc/motd
FROM is not an instruction here
EOF

FROM --platform=linux/amd64 base AS prod
USER 10002
";

    fn parse(text: &str) -> Result<Dockerfile, LoadError> {
        Dockerfile::parse(Path::new("app/Dockerfile"), text.as_bytes())
    }

    #[test]
    fn stages_know_their_base_name_and_line() {
        let file = parse(MULTI_STAGE).unwrap();
        let names: Vec<_> = file.stages.iter().map(|s| (s.base.as_str(), s.name.as_deref(), s.from.line)).collect();
        assert_eq!(names, [("${BASE_IMAGE}", Some("base"), 3), ("base", Some("dev"), 10), ("base", Some("prod"), 15)]);
        assert_eq!(file.global_args[0].args, "BASE_IMAGE=debian:bookworm-slim");
        assert!(file.stages[0].instructions[0].args.ends_with("install -y python3"));
    }

    #[test]
    fn instructions_are_inherited_from_earlier_stages() {
        let file = parse(MULTI_STAGE).unwrap();
        let dev = file.target(Some("dev")).unwrap();
        assert_eq!(file.inherited(dev, "USER").map(|i| i.line), Some(7));
        let last = file.target(None).unwrap();
        assert_eq!(file.inherited(last, "USER").map(|i| i.args.as_str()), Some("10002"));
        assert_eq!(file.inherited(last, "HEALTHCHECK").map(|i| i.line), Some(8));
        assert!(file.target(Some("missing")).is_none());
    }

    #[test]
    fn malformed_files_name_the_file_and_line() {
        let cases = [
            ("FROM a\nRUNN x\n", "app/Dockerfile:2: unknown instruction \"RUNN\""),
            ("RUN x\nFROM a\n", "app/Dockerfile:1: RUN before the first FROM"),
            ("# only a comment\n", "app/Dockerfile:1: no FROM instruction"),
            ("FROM a b\n", "app/Dockerfile:1: FROM needs `image [AS name]`"),
            ("FROM a\nRUN <<EOF\necho\n", "app/Dockerfile:2: heredoc <<EOF is never closed"),
        ];
        for (text, expected) in cases {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let file = parse("# escape=`\nFROM a\nRUN echo `\n  done\n").unwrap();
        assert_eq!(file.stages[0].instructions[0].args, "echo   done");
    }
}
