//! Where a key sits in a block-style YAML text: the line numbers that findings point at.
//!
//! Parsed YAML keeps no lines, so this reads the text itself: indentation gives the tree,
//! `- ` opens a list item, and a key is what comes before `: ` (or before `=` in compose's
//! `KEY=value` lists). Flow collections, merged anchors and multi-line keys are not followed:
//! a search then stops at the deepest key it did find.

/// One key or list item of the text.
#[derive(Debug)]
struct Entry<'a> {
    line: usize,
    indent: usize,
    text: &'a str,
}

impl Entry<'_> {
    fn is_item(&self) -> bool {
        self.text == "-"
    }
}

/// The keys and list items of a YAML text with their lines and indentation.
#[derive(Debug)]
pub struct Outline<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Outline<'a> {
    /// Outlines `text`, skipping comments, blank lines and block scalars' contents.
    pub fn new(text: &'a str) -> Self {
        let mut entries = Vec::new();
        let mut block_scalar_of: Option<usize> = None;
        for (index, raw) in text.lines().enumerate() {
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let content = strip_comment(&raw[indent..]).trim_end();
            if let Some(owner) = block_scalar_of {
                if content.is_empty() || indent > owner {
                    continue;
                }
                block_scalar_of = None;
            }
            if content.is_empty() || content == "---" || content == "..." {
                continue;
            }
            let (mut indent, mut rest, mut item_indent) = (indent, content, indent);
            while let Some(after) = rest.strip_prefix('-').filter(|r| r.is_empty() || r.starts_with(' ')) {
                entries.push(Entry { line: index + 1, indent, text: "-" });
                item_indent = indent;
                let trimmed = after.trim_start_matches(' ');
                indent += 1 + after.len() - trimmed.len();
                rest = trimmed;
            }
            if !rest.is_empty() {
                entries.push(Entry { line: index + 1, indent, text: rest });
                if opens_block_scalar(rest) {
                    // `key: |` holds lines deeper than the key; `- |`, lines deeper than the dash.
                    block_scalar_of = Some(if rest.starts_with(['|', '>']) { item_indent } else { indent });
                }
            }
        }
        Self { entries }
    }

    /// The line of the deepest node of `path` found (keys, or list indexes as numbers) and how
    /// many segments of `path` that node matched; `None` when not even the first one is there.
    pub fn find(&self, path: &[&str]) -> Option<(usize, usize)> {
        let mut parent = None;
        let mut found = None;
        for (depth, segment) in path.iter().enumerate() {
            let Some(child) = self.child(parent, segment) else { break };
            found = Some((self.entries[child].line, depth + 1));
            parent = Some(child);
        }
        found
    }

    fn child(&self, parent: Option<usize>, segment: &str) -> Option<usize> {
        let children = self.children(parent);
        if let Ok(index) = segment.parse::<usize>()
            && children.first().is_some_and(|&c| self.entries[c].is_item())
        {
            return children.get(index).copied();
        }
        children.into_iter().find(|&c| {
            let entry = &self.entries[c];
            let text = match entry.is_item() {
                true => match self.entries.get(c + 1) {
                    Some(next) if next.line == entry.line && !next.is_item() => next.text,
                    _ => return false,
                },
                false => entry.text,
            };
            key_of(text) == segment
        })
    }

    fn children(&self, parent: Option<usize>) -> Vec<usize> {
        let (start, floor) = match parent {
            Some(p) => (p + 1, Some(self.entries[p].indent)),
            None => (0, None),
        };
        let block = self.entries[start.min(self.entries.len())..]
            .iter()
            .take_while(|e| floor.is_none_or(|floor| e.indent > floor));
        let mut level = None;
        let mut children = Vec::new();
        for (offset, entry) in block.enumerate() {
            let level = *level.get_or_insert(entry.indent);
            if entry.indent == level {
                children.push(start + offset);
            }
        }
        children
    }
}

/// The key of a mapping entry (`key: value`, `"key": value`) or of a compose list entry
/// (`KEY=value`, `"KEY=value"`); a bare scalar is its own key.
fn key_of(text: &str) -> &str {
    if let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'')
        && let Some(end) = text[1..].find(quote)
    {
        let inner = &text[1..=end];
        return match text[end + 2..].starts_with(':') {
            true => inner,
            false => inner.split('=').next().unwrap_or(inner),
        };
    }
    let colon = text.find(": ").or_else(|| text.ends_with(':').then(|| text.len() - 1));
    match (text.find('='), colon) {
        (Some(eq), colon) if colon.is_none_or(|colon| eq < colon) => &text[..eq],
        (_, Some(colon)) => &text[..colon],
        _ => text,
    }
}

/// Whether a key's value is a block scalar (`key: |`, `key: >-`, `- |2`): its lines are text.
fn opens_block_scalar(text: &str) -> bool {
    let value = text.rsplit_once(": ").map_or(text, |(_, value)| value).trim();
    value.starts_with(['|', '>']) && value[1..].chars().all(|c| matches!(c, '-' | '+' | '1'..='9'))
}

/// `line` without its trailing `# comment` (a `#` at the start or after a space, outside quotes).
pub fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if previous == ' ' || previous == '\t' => return &line[..at],
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            _ => {}
        }
        previous = c;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "\
# header
services:
  app:
    image: x   # a comment
    command: |
      image: not-a-key
    environment:
      - PLAIN=1
      - \"DB_PASSWORD=secret\"
    volumes:
      - type: bind
        source: ./a
      - ./b:/b
  proxy:
    ports: [\"443:443\"]
secrets:
  db: {file: ./db.txt}
";

    #[test]
    fn keys_are_found_by_path() {
        let outline = Outline::new(COMPOSE);
        assert_eq!(outline.find(&["services", "app"]), Some((3, 2)));
        assert_eq!(outline.find(&["services", "proxy", "ports"]), Some((15, 3)));
        assert_eq!(outline.find(&["secrets", "db"]), Some((17, 2)));
    }

    #[test]
    fn list_entries_are_found_by_index_and_by_variable_name() {
        let outline = Outline::new(COMPOSE);
        assert_eq!(outline.find(&["services", "app", "environment", "DB_PASSWORD"]), Some((9, 4)));
        assert_eq!(outline.find(&["services", "app", "volumes", "1"]), Some((13, 4)));
        assert_eq!(outline.find(&["services", "app", "volumes", "0", "source"]), Some((12, 5)));
    }

    #[test]
    fn a_missing_key_stops_at_the_deepest_one_found() {
        let outline = Outline::new(COMPOSE);
        assert_eq!(outline.find(&["services", "app", "deploy", "resources"]), Some((3, 2)));
        assert_eq!(outline.find(&["services", "proxy", "ports", "0"]), Some((15, 3)));
        assert_eq!(outline.find(&["nothing"]), None);
    }

    #[test]
    fn block_scalars_and_comments_are_not_keys() {
        let outline = Outline::new(COMPOSE);
        assert_eq!(outline.find(&["services", "app", "image"]), Some((4, 3)));
        assert_eq!(strip_comment("a: \"#x\" # c"), "a: \"#x\" ");
        assert_eq!(strip_comment("url: http://h/#frag"), "url: http://h/#frag");
    }
}
