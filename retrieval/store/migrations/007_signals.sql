-- What the stewards' signals need of a turn: how sure the assistant was of its answer (the share of
-- the question the best passage covered, 0 to 1; NULL for turns stored before this column), and
-- turns by time, since the signals read a period.
ALTER TABLE turns ADD COLUMN confidence real CHECK (confidence BETWEEN 0 AND 1);
CREATE INDEX turns_created ON turns (created_at);
