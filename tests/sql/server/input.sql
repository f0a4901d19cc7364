-- Nothing to create: the server facts (what varies by server is masked).
SELECT 1;
