-- Lesson content. Bodies are plain text; a blank line separates paragraphs.
INSERT INTO lessons (slug, position, title, summary, body) VALUES
('returns', 1, 'Measuring returns',
 'How to turn a series of prices into daily returns, and why returns matter more than prices.',
 'A price on its own says little: a 2 dollar move is huge for a 10 dollar stock and tiny for a 1000 dollar one. Returns put every asset on the same scale by measuring the change relative to where the price started.

The simple daily return is r = close_today / close_yesterday - 1. If a stock closes at 100 and then at 102, the return is 102 / 100 - 1 = 0.02, or 2 percent.

Returns compound. Two days of +10 percent and -10 percent do not cancel out: 100 becomes 110 and then 99. This is why a loss needs a bigger gain to recover: after a 50 percent fall you need +100 percent to get back.

The average daily return summarises the drift of a price series, but it hides how bumpy the path was. The following lessons add tools to describe that path.'),

('moving-averages', 2, 'Moving averages',
 'Simple and exponential moving averages smooth daily noise so the trend is easier to see.',
 'A simple moving average (SMA) over a window of N days is the plain mean of the last N closing prices. A 20-day SMA of closes 10, 11 and 12 over a 3-day window is (10 + 11 + 12) / 3 = 11.

An exponential moving average (EMA) weights recent prices more. Each day it moves a fraction alpha = 2 / (N + 1) of the way from its previous value towards the new close: EMA_today = EMA_yesterday + alpha * (close_today - EMA_yesterday). This site starts the EMA from the SMA of the first N closes.

Because an EMA reacts faster, it turns sooner after a change in trend but is also fooled more often by noise. A longer window is smoother and slower.

Moving averages describe the past. A price crossing its average is not a forecast: treat it as a summary of recent history, not as a signal that something must happen next.'),

('rsi', 3, 'The Relative Strength Index',
 'RSI compares the size of recent gains with recent losses on a scale from 0 to 100.',
 'The Relative Strength Index (RSI), introduced by J. Welles Wilder, looks at the last 14 daily price changes by default. It splits them into gains (positive changes) and losses (the size of negative changes).

The first average gain and average loss are the plain means over 14 days. After that, Wilder smooths them: new_average = (previous_average * 13 + today) / 14. The relative strength is RS = average_gain / average_loss, and RSI = 100 - 100 / (1 + RS). When there were no losses at all, RSI is 100.

Readings above 70 are often called overbought and below 30 oversold. These labels only say that recent moves were one-sided; strong trends can keep RSI high or low for a long time.

Use RSI to describe momentum, and always compare it with the price chart and the other measures on the analysis page.'),

('volatility', 4, 'Volatility',
 'Volatility measures how widely returns swing around their average, the most common yardstick of risk.',
 'Volatility is the standard deviation of returns. A stock whose daily returns are usually within a fraction of a percent is calm; one that often moves several percent a day is volatile.

Daily volatility is small and hard to compare across horizons, so it is usually annualised. With about 252 trading days in a year and returns assumed independent, annual volatility = daily standard deviation * sqrt(252). A daily volatility of 1 percent is roughly 15.9 percent a year.

Volatility treats large gains and large losses alike. It is a measure of uncertainty, not of direction.

Higher volatility means a wider range of likely outcomes. Two stocks with the same average return can feel very different to hold if one of them has twice the volatility.'),

('risk-and-drawdown', 5, 'Risk and drawdowns',
 'Maximum drawdown shows the worst peak-to-trough fall an investor would have lived through.',
 'Volatility summarises swings in both directions, but investors feel losses most. A drawdown is the fall from the highest price seen so far to the current price, as a fraction of that peak.

The maximum drawdown is the largest such fall over a period. If a price rises to 120, falls to 90 and later recovers, the maximum drawdown is (120 - 90) / 120 = 25 percent, whatever happens afterwards.

Drawdowns matter because of the asymmetry seen in the returns lesson: a 25 percent fall needs a 33 percent gain to recover, and a deep drawdown can force a sale at the worst time.

Before taking any position, ask how large a loss you could bear without changing your plans. Past drawdowns are a guide to what has happened, never a limit on what can happen.'),

('diversification', 6, 'Diversification',
 'Combining assets that do not move together can lower the risk of a portfolio without lowering its average return.',
 'The return of a portfolio is the weighted average of the returns of its holdings. Its volatility is usually lower than the weighted average of their volatilities, because their ups and downs partly cancel out.

How much they cancel depends on correlation. Two assets that always move together offer no benefit; two assets that are only loosely related smooth each other out; assets that tend to move in opposite directions smooth the most.

Diversification reduces the risk specific to one company, such as a failed product or a scandal. It cannot remove market risk: in a broad sell-off most stocks fall together, and correlations tend to rise exactly when protection is needed.

Spreading money across many holdings, sectors and asset types is one of the few ways to reduce risk without paying for it. This site is for learning only and gives no investment advice.');
