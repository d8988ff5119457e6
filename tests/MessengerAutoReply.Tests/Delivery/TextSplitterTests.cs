using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Tests.Delivery;

public sealed class TextSplitterTests
{
    [Fact]
    public void Short_text_is_one_part_trimmed()
    {
        Assert.Equal(["hello there"], TextSplitter.Split("  hello there \n", 100));
    }

    [Fact]
    public void Empty_text_is_one_empty_part()
    {
        Assert.Equal([""], TextSplitter.Split("   ", 100));
    }

    [Fact]
    public void Paragraph_boundary_wins_over_line_and_sentence()
    {
        var first = new string('a', 30) + ". " + new string('b', 20) + "\n" + new string('c', 10);
        var text = first + "\n\n" + new string('d', 40);
        var parts = TextSplitter.Split(text, 80);
        Assert.Equal([first, new string('d', 40)], parts);
    }

    [Fact]
    public void Sentence_end_is_used_when_no_line_break_is_in_reach()
    {
        var text = "First sentence is here. Second one is a little longer than that! Third?";
        var parts = TextSplitter.Split(text, 40);
        Assert.Equal("First sentence is here.", parts[0]);
        Assert.All(parts, p => Assert.True(p.Length <= 40));
        Assert.Equal(Words(text), Words(string.Join(' ', parts)));
    }

    [Fact]
    public void Word_boundary_before_a_hard_cut()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 30));
        var parts = TextSplitter.Split(text, 22);
        Assert.All(parts, p => Assert.True(p.Length <= 22 && !p.StartsWith(' ') && !p.EndsWith(' ')));
        Assert.All(parts, p => Assert.DoesNotContain("wor ", p + " "));
        Assert.Equal(text, string.Join(' ', parts));
    }

    [Fact]
    public void Every_part_fits_and_nothing_is_lost_in_order()
    {
        var random = new Random(7);
        var words = Enumerable.Range(0, 2_000).Select(_ => new string('x', random.Next(1, 12)) + (random.Next(10) == 0 ? "." : ""));
        var text = string.Join(' ', words);
        var parts = TextSplitter.Split(text, 4096 / 8);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 512));
        Assert.Equal(text, string.Join(' ', parts));
    }

    [Fact]
    public void A_hard_cut_never_splits_a_surrogate_pair()
    {
        // 😀 is two UTF-16 units; 17 of them are 34 units with no boundary: a cut at 16 units would be fine,
        // at an odd length it would fall inside a pair.
        var text = string.Concat(Enumerable.Repeat("😀", 17));
        foreach (var max in new[] { 16, 17, 19, 33 })
        {
            var parts = TextSplitter.Split(text, max);
            Assert.All(parts, p => Assert.True(p.Length <= max));
            Assert.All(parts, p => Assert.False(char.IsHighSurrogate(p[^1]) || char.IsLowSurrogate(p[0]), $"part '{p}' at max {max} holds half a pair"));
            Assert.Equal(text, string.Concat(parts));
        }
    }

    [Fact]
    public void A_hard_cut_keeps_a_letter_with_its_combining_mark()
    {
        // "é" written as e + U+0301: the mark belongs to the letter before it.
        var text = string.Concat(Enumerable.Repeat("e\u0301", 20));
        var parts = TextSplitter.Split(text, 17);
        Assert.All(parts, p => Assert.True(p.Length <= 17 && p[0] == 'e' && p[^1] == '\u0301'));
        Assert.Equal(text, string.Concat(parts));
    }

    [Fact]
    public void A_single_character_longer_than_a_part_is_still_cut_outside_a_pair()
    {
        // Ten people joined by zero-width joiners are one text element of 29 units; the sixth person's pair sits at 15-16.
        var text = string.Join("\u200D", Enumerable.Repeat("👩", 10));
        var parts = TextSplitter.Split(text, 16);
        Assert.All(parts, p => Assert.False(char.IsHighSurrogate(p[^1]) || char.IsLowSurrogate(p[0])));
        Assert.Equal(text, string.Concat(parts));
    }

    [Fact]
    public void A_maximum_below_16_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TextSplitter.Split("text", 15));
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
